/**
 * Kill -9 on a two-tier index: a child (`two-tier-crash-writer.ts`) adds batches (each commit
 * writes a tier blob beside its segment; training, doubling-rule retraining and compaction
 * rewrite the RAM segments in between) and is SIGKILLed at random moments. After every kill the
 * reopened index (which takes the dead writer's lock over and collects its leftovers) holds
 * exactly the reported batches, or one more (the add in flight), and exact search reads every
 * document's float16 rows from the tier blobs, each block verified, scoring each as MaxSim of its
 * float16-rounded vectors. Runs continue on one directory, so each also recovers from the last.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { float16BitsToFloat32, float32ToFloat16Bits } from "../../src/storage/codecs/float16.js";
import { naiveMaxSim, rng } from "../helpers.js";
import { TIER_DIM, tierLiveIds, tierVectors } from "./two-tier-crash-model.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
const root = await mkdtemp(join(tmpdir(), "maxsim-tier-crash-"));
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs the writer, SIGKILLs it `delayMs` after its first reported add; returns the batches it reported. */
function runAndKill(dir: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "two-tier-crash-writer.ts"), dir], {
      cwd: packageRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/^\d+$/m.test(out)) timer ??= setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== "SIGKILL") return reject(new Error(`writer exited with ${code ?? signal}: ${stderr}`));
      resolve(
        out
          .split("\n")
          .filter((l) => /^\d+$/.test(l))
          .map(Number),
      );
    });
  });
}

const f16 = (v: { data: Float32Array; length: number; dim: number }) => ({
  ...v,
  data: Float32Array.from(v.data, (x) => float16BitsToFloat32(float32ToFloat16Bits(x))),
});

describe("two-tier crash safety", () => {
  it("after SIGKILL at random moments the reopened index holds exactly the committed batches, every tier row intact", async () => {
    const dir = join(root, "tier");
    const next = rng(20261203);
    const query = { data: Float32Array.from({ length: 3 * TIER_DIM }, (_, i) => Math.cos(i)), length: 3, dim: TIER_DIM };
    let committed = 0;
    let trainedRuns = 0;
    for (let run = 0; run < 8; run++) {
      const reported = await runAndKill(dir, next() * 400);
      for (const b of reported) {
        expect(b).toBe(committed);
        committed = b + 1;
      }
      const index = await MaxSimIndex.open(dir);
      try {
        const ids = [...index.ids()];
        const landed = ids.length === tierLiveIds(committed + 1).length;
        if (landed) committed++;
        expect(ids).toEqual(tierLiveIds(committed));
        if (index.trained) trainedRuns++;
        const hits = await index.searchExact(query, { k: ids.length });
        expect(hits.length).toBe(ids.length);
        const wrong = hits.filter((h) => Math.abs(h.score - naiveMaxSim(query, f16(tierVectors(h.id)))) > 1e-4);
        expect(wrong).toEqual([]);
        expect((await readdir(dir)).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
      } finally {
        await index.close();
      }
    }
    console.log(`two-tier random kills: 8 SIGKILLs, ${committed} batches committed, trained in ${trainedRuns} of the reopened states`);
    expect(trainedRuns).toBeGreaterThan(0);
  });
});
