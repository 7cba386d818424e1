/**
 * Approximate search bench: exact brute force vs PLAID (MaxSimIndex.search, per codec; "a→b" =
 * a candidates from the inverted lists, b of them rescored exactly after centroid interaction) vs MUVERA
 * (fixed-dimensional encodings in hnswlib-node + exact rescoring), on the same synthetic clustered
 * ColBERT-like data: p50/p95 latency, recall@10 against exact, build time, bytes per token. Then
 * RSS is the whole process after each build (the corpus itself holds 512 B/token; earlier indexes
 * are closed but their memory may not be collected yet); "memory" is the index's own vector bytes
 * per token (`vectorBytesInMemory`), "exact p50" the same index's `searchExact`. Then the drift experiment: train on half the corpus, add the other half, recall before and after
 * `compact()` retrains.
 *
 *   pnpm --filter @maxsim/core bench:ann-codecs [-- --docs 20000 --queries 50 --codecs float32,residual-2]
 *   pnpm --filter @maxsim/core bench:ann-codecs -- --docs 50000 --len 64 --codecs float32 --no-muvera --no-drift
 */
import { parseArgs } from "node:util";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import { MuveraIndex } from "../src/index/muvera.js";
import { syntheticCorpus, type SyntheticCorpus } from "../src/index/synthetic.js";
import type { IndexCodec, SearchHit } from "../src/index/types.js";
import { scoreFlatOrt } from "../src/scoring/ort-kernel.js";
import type { TokenVectors } from "../src/types.js";

// `pnpm bench:x -- --flag` forwards the `--` separator itself; drop it so the flags parse.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    docs: { type: "string", default: "20000" },
    len: { type: "string" },
    queries: { type: "string", default: "50" },
    codecs: { type: "string", default: "float32,float16,residual-2,residual-4" },
    "no-muvera": { type: "boolean", default: false },
    "no-drift": { type: "boolean", default: false },
    nprobe: { type: "string", default: "8" },
    candidates: { type: "string", default: "512" },
    rescore: { type: "string", default: "128" },
    centroids: { type: "string" },
    batch: { type: "string", default: "5000" },
    "auto-retrain": { type: "string" },
    "no-bulk": { type: "boolean", default: false },
  },
});
const nDocs = Number(values.docs);
const docLength: [number, number] = values.len ? [Number(values.len), Number(values.len)] : [24, 72];
const nQueries = Number(values.queries);
const k = 10;
const centroidOption = {
  ...(values.centroids ? { centroids: Number(values.centroids) } : {}),
  ...(values["auto-retrain"] !== undefined ? { autoRetrain: values["auto-retrain"] === "true" } : {}),
};
const tuning = { nprobe: Number(values.nprobe), candidates: Number(values.candidates), rescore: Number(values.rescore) };
const label = (t: { nprobe: number; candidates: number; rescore: number }) => `nprobe ${t.nprobe}, ${t.candidates}→${t.rescore}`;

const corpus = syntheticCorpus({ docs: nDocs, docLength, seed: 1 });
const tokens = corpus.offsets[nDocs]!;
const queries = corpus.queries(nQueries, 32, 7);
console.log(`data: ${nDocs} docs × ${docLength.join("–")} tokens = ${tokens} tokens, dim 128; ${nQueries} queries × 32 tokens; k = ${k}`);
console.log(
  "(2-core machine shared with other engineers' jobs: latencies are noisy; load at start:",
  (await import("node:os")).loadavg()[0]!.toFixed(1),
  ")\n",
);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const rows: string[][] = [["method", "build s", "RSS GB", "bytes/token disk", "memory", "p50 ms", "p95 ms", "exact p50", "recall@10"]];
const rss = () => (process.memoryUsage().rss / 1e9).toFixed(1);
const print = () => {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join("  "));
};

async function measure(search: (q: TokenVectors) => Promise<SearchHit[]>, truth: SearchHit[][]): Promise<{ p50: number; p95: number; recall: number }> {
  await search(queries[0]!); // warm-up
  const lat: number[] = [];
  let recall = 0;
  for (const [i, q] of queries.entries()) {
    const t0 = performance.now();
    const hits = await search(q);
    lat.push(performance.now() - t0);
    const want = new Set(truth[i]!.map((h) => h.id));
    recall += hits.filter((h) => want.has(h.id)).length / k;
  }
  return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), recall: recall / queries.length };
}

async function buildIndex(
  c: SyntheticCorpus,
  codec: IndexCodec,
  from = 0,
  to = c.ids.length,
  index = MaxSimIndex.inMemory({ dim: 128, codec, ...centroidOption }),
) {
  const batch = Number(values.batch);
  const load = async () => {
    for (let i = from; i < to; i += batch) {
      const end = Math.min(to, i + batch);
      await index.add(c.ids.slice(i, end).map((id, j) => ({ id, embeddings: c.doc(i + j) })));
    }
  };
  // As Collection.addDocuments and `maxsim index` load: one bulk, trained once at the end.
  if (values["no-bulk"]) await load();
  else await index.bulk(load);
  return index;
}

// Exact: brute force over the flat corpus on the ORT kernel; its results are the ground truth.
async function exactTop(q: TokenVectors): Promise<SearchHit[]> {
  const [scores] = await scoreFlatOrt([q], corpus);
  return Array.from(scores!.keys())
    .sort((a, b) => scores![b]! - scores![a]! || a - b)
    .slice(0, k)
    .map((i) => ({ id: corpus.ids[i]!, score: scores![i]!, normalizedScore: scores![i]! / q.length }));
}
const truth: SearchHit[][] = [];
for (const q of queries) truth.push(await exactTop(q));
const exact = await measure(exactTop, truth);
rows.push(["exact (ORT kernel, brute force)", "0", rss(), "512", "512", exact.p50.toFixed(1), exact.p95.toFixed(1), "", "1.000"]);

for (const codec of values.codecs.split(",") as IndexCodec[]) {
  const t0 = performance.now();
  const index = await buildIndex(corpus, codec);
  await index.compact(); // as `maxsim index` does (merges the batches' segments)
  const build = (performance.now() - t0) / 1000;
  const r = await measure((q) => index.search(q, { k, ...tuning }), truth);
  // searchExact on the same index: the codec's exact path (float16 cast in-graph, residuals decoded per block).
  const ex = await measure((q) => index.searchExact(q, { k }), truth);
  const memory = (index.vectorBytesInMemory() / tokens).toFixed(0);
  rows.push([
    `PLAID ${codec} (${label(tuning)})`,
    build.toFixed(1),
    rss(),
    String(index.bytesPerToken()),
    memory,
    r.p50.toFixed(1),
    r.p95.toFixed(1),
    ex.p50.toFixed(1),
    r.recall.toFixed(3),
  ]);
  if (codec === "float32") {
    for (const t of [
      { nprobe: 4, candidates: 256, rescore: 64 },
      { nprobe: 16, candidates: 1024, rescore: 256 },
    ]) {
      const rr = await measure((q) => index.search(q, { k, ...t }), truth);
      rows.push([`PLAID ${codec} (${label(t)})`, "", "", "", "", rr.p50.toFixed(1), rr.p95.toFixed(1), "", rr.recall.toFixed(3)]);
    }
  }
  await index.close();
}

if (!values["no-muvera"]) {
  const t0 = performance.now();
  const muvera = new MuveraIndex(128);
  await muvera.build(corpus);
  const build = (performance.now() - t0) / 1000;
  for (const count of [256, 1024]) {
    const r = await measure(async (q) => {
      const cand = await muvera.candidates(q, count);
      let total = 0;
      for (const d of cand) total += corpus.offsets[d + 1]! - corpus.offsets[d]!;
      const data = new Float32Array(total * 128);
      const offsets = new Int32Array(cand.length + 1);
      cand.forEach((d, i) => {
        data.set(corpus.data.subarray(corpus.offsets[d]! * 128, corpus.offsets[d + 1]! * 128), offsets[i]! * 128);
        offsets[i + 1] = offsets[i]! + corpus.offsets[d + 1]! - corpus.offsets[d]!;
      });
      const [scores] = await scoreFlatOrt([q], { data, offsets, dim: 128 });
      return Array.from(cand, (d, i) => ({ id: corpus.ids[d]!, score: scores![i]!, normalizedScore: scores![i]! / q.length }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, k);
    }, truth);
    const perToken = `512+${((muvera.bytesPerDocument * nDocs) / tokens).toFixed(0)}`;
    rows.push([
      `MUVERA FDE ${muvera.fdeDim}d + HNSW (${count} cand.)`,
      count === 256 ? build.toFixed(1) : "",
      count === 256 ? rss() : "",
      perToken,
      perToken,
      r.p50.toFixed(1),
      r.p95.toFixed(1),
      "",
      r.recall.toFixed(3),
    ]);
  }
}
print();

if (!values["no-drift"]) {
  console.log("\ndrift: train on the first 50% of documents, add the rest (nearest existing centroids), then compact() (retrains)");
  const half = Math.floor(nDocs / 2);
  // Trains when the first half is in; autoRetrain off so the second half meets the old centroids.
  const index = MaxSimIndex.inMemory({ dim: 128, minTrainTokens: corpus.offsets[half]!, ...centroidOption, autoRetrain: false });
  await buildIndex(corpus, "float32", 0, half, index);
  await buildIndex(corpus, "float32", half, nDocs, index);
  const before = await measure((q) => index.search(q, { k, ...tuning }), truth);
  const t0 = performance.now();
  await index.compact();
  const retrain = (performance.now() - t0) / 1000;
  const after = await measure((q) => index.search(q, { k, ...tuning }), truth);
  console.log(
    `recall@10 after adding 50% post-training: ${before.recall.toFixed(3)}; after compact() retrain (${retrain.toFixed(1)} s): ${after.recall.toFixed(3)}`,
  );
}
