/**
 * Open-time cost of the value checks a load runs after the checksums (`index/boundary.ts`: finite
 * float32/float16 vectors by exponent bit tests, finite centroids, the state schema; ids unique
 * across segments via the slot table's map, which the load fills anyway). For each codec: the
 * median time of `MaxSimIndex.open` (the baseline, checks included) beside the median time of the
 * same checks run alone over the same segments and centroids, and their share of the open.
 *
 *   pnpm --filter @maxsim/core bench:open-checks [-- --docs 5000 --len 32 --runs 5 --codecs float32,float16,residual-2]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkCentroids, checkSegmentValues, checkState } from "../src/index/boundary.js";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import { syntheticCorpus } from "../src/index/synthetic.js";
import type { IndexCodec } from "../src/index/types.js";
import { IndexStore } from "../src/storage/index.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    docs: { type: "string", default: "5000" },
    len: { type: "string", default: "32" },
    runs: { type: "string", default: "5" },
    codecs: { type: "string", default: "float32,float16,residual-2" },
  },
});
const docs = Number(values.docs);
const len = Number(values.len);
const runs = Number(values.runs);
const dim = 128;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const corpus = syntheticCorpus({ docs, dim, docLength: [len, len], seed: 5 });
const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i), payload: { n: i } }));
const root = await mkdtemp(join(tmpdir(), "maxsim-open-checks-"));
console.log(`open-time value checks: ${docs} docs × ${len} tokens, dim ${dim}, median of ${runs} runs (machine shared; ratios matter)`);
console.log("codec        open ms   checks ms   share");
try {
  for (const codec of values.codecs.split(",") as IndexCodec[]) {
    const dir = join(root, codec);
    const index = await MaxSimIndex.create(dir, { dim, codec, minTrainTokens: Math.min(32768, (docs * len) / 2) });
    for (let i = 0; i < items.length; i += 1000) await index.add(items.slice(i, i + 1000));
    await index.close();
    const openMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const opened = await MaxSimIndex.open(dir, { readOnly: true });
      openMs.push(performance.now() - t);
      await opened.close();
    }
    // The same checks alone, on the same columns as the load reads them.
    const store = await IndexStore.open(dir, { readOnly: true });
    const state = store.manifest.meta["maxsimIndex"] as { trained: boolean };
    const segments = await Promise.all(store.manifest.segments.map((s) => store.readSegment(s.name)));
    const centroids = await store.readBlob("centroids.f32");
    const checkMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      checkState("manifest", store.manifest.codec, store.manifest.meta["maxsimIndex"]);
      if (centroids !== undefined) checkCentroids(new Float32Array(centroids.buffer, centroids.byteOffset, centroids.byteLength / 4), dim, "centroids");
      segments.forEach((seg, i) => {
        const offsets = seg.columns["offsets"] as Int32Array;
        checkSegmentValues(store.manifest.segments[i]!.file, seg.columns, offsets[seg.ids.length]!, dim, codec, state.trained);
      });
      checkMs.push(performance.now() - t);
    }
    await store.close();
    const o = median(openMs);
    const c = median(checkMs);
    console.log(`${codec.padEnd(12)} ${o.toFixed(1).padStart(7)}   ${c.toFixed(2).padStart(9)}   ${((100 * c) / o).toFixed(1).padStart(4)}%`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
