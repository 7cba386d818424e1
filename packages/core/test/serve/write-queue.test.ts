import { describe, expect, it } from "vitest";
import { SearchLimiter } from "../../src/serve/search-limiter.js";
import { WriteQueue } from "../../src/serve/write-queue.js";

describe("WriteQueue", () => {
  it("runs jobs one at a time in arrival order, a failure does not stop the next, drain waits for all", async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job =
      (name: string, fail = false) =>
      async () => {
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

describe("SearchLimiter", () => {
  it("runs at most `limit` jobs at once and starts waiting ones first come, first served", async () => {
    const limiter = new SearchLimiter(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const jobs = [0, 1, 2, 3].map((i) =>
      limiter.run(async () => {
        started.push(i);
        await new Promise<void>((r) => release.push(r));
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 2]);
    release.shift()!();
    await jobs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 1]);
    while (release.length > 0 || started.length < 4) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3]);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });
});
