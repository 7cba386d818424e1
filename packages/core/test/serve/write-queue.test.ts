import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../src/serve/write-queue.js";

describe("WriteQueue", () => {
  it("runs jobs one at a time in arrival order, a failure does not stop the next, drain waits for all", async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job = (name: string, fail = false) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
      await new Promise((r) => setImmediate(r));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const a = q.run(job("a"));
    const b = q.run(job("b", true));
    const c = q.run(job("c"));
    expect(q.pending).toBe(3);
    await expect(a).resolves.toBe("a");
    await expect(b).rejects.toThrow("b");
    await q.drain();
    await expect(c).resolves.toBe("c");
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(maxRunning).toBe(1);
    expect([q.pending, q.done]).toEqual([0, 3]);
  });
});
