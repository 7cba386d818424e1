import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, etaSeconds } from "../../src/cli/progress.js";

describe("progress ETA from the measured encoding rate", () => {
  it("divides the bytes left by the bytes encoded per second, skipped bytes excluded", () => {
    expect(etaSeconds(1000, 600, 200, 10)).toBe(10); // 400 B encoded in 10 s, 400 B left
    expect(etaSeconds(1000, 600, 0, 10)).toBeCloseTo(400 / 60, 10);
    expect(etaSeconds(1000, 1000, 0, 10)).toBe(0);
    expect(etaSeconds(1000, 300, 300, 10)).toBeNaN(); // only skipped so far: no rate yet
    expect(etaSeconds(1000, 0, 0, 0)).toBeNaN();
  });

  it("prints plain lines whose ETA follows the encoded bytes, not the skipped ones", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const p = createProgress({ totalBytes: 1000, stream, plainIntervalSeconds: 0 });
    await new Promise((r) => setTimeout(r, 50));
    p.update(500, 0, 500); // a resumed run skipped half the input instantly
    p.update(600, 10, 500); // then encoded 100 bytes
    p.stop();
    expect(lines[0]).toMatch(/^indexing: 0 docs, .* docs\/s, 50%\n$/); // no ETA without a measured rate
    expect(lines[1]).toMatch(/^indexing: 10 docs, .* docs\/s, 60%, ETA \d+ s\n$/);
  });
});
