/**
 * maxsim's own index vs the LanceDB engine (`LanceCollection`: LanceDB candidates, maxsim's exact
 * MaxSim order) vs plain LanceDB multivector search (LanceDB's own order, no rescoring), on the
 * same token vectors and queries in one run. Truth: the maxsim index's exact search.
 *
 * Columns: build s (adding every document, plus index training where there is one), disk MB
 * (bytes under the directory), RSS GB (this process after the build; cumulative across rows),
 * p50/p95 ms per query, recall@10 vs exact.
 *
 * Corpus: `@maxsim/core/bench-corpora` (default family `zipfian`: Zipfian vocabulary, topics,
 * anisotropy, word-dependent noise; 24–72 tokens per document), queries of 32 tokens drawn from
 * documents. Vectors are float32 everywhere.
 *
 * Usage: pnpm --filter @maxsim/lancedb bench -- [--docs 20000] [--dim 128] [--family zipfian]
 *   [--queries 50] [--flat-queries N] [--no-ivf] [--partitions N]
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Index } from "@lancedb/lancedb";
import { MaxSimIndex } from "@maxsim/core";
import type { Encoder, SearchHit, TokenVectors } from "@maxsim/core";
import { benchCorpus } from "@maxsim/core/bench-corpora";
import type { BenchFamily } from "@maxsim/core/bench-corpora";
import { LanceCollection } from "../src/index.js";
import { queryTokens } from "../src/rescore.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const nDocs = Number(arg("docs", "20000"));
const dim = Number(arg("dim", "128"));
const family = arg("family", "zipfian") as BenchFamily;
const nQueries = Number(arg("queries", "50"));
const withIvf = !process.argv.includes("--no-ivf");
// Flat LanceDB scans cost seconds per query on large corpora: measure them on the first N queries.
const flatQueries = Number(arg("flat-queries", String(nQueries)));
const k = 10;

const root = await mkdtemp(join(tmpdir(), "maxsim-bench-lance-"));
const corpus = benchCorpus(family, { docs: nDocs, dim, seed: 1 });
const queries = corpus.queries(nQueries, 32, 7);
const tokens = corpus.offsets[nDocs]!;
console.log(`${family}: ${nDocs} docs, ${tokens} tokens, dim ${dim}, ${nQueries} queries, k ${k} (shared 2-core machine: compare within this run)`);

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return total;
}
const t00 = performance.now();
const stage = (what: string): void => console.error(`[${((performance.now() - t00) / 1000).toFixed(0)} s] ${what}`);
const rss = (): string => (process.memoryUsage().rss / 1e9).toFixed(2);
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function measure(
  search: (q: TokenVectors) => Promise<{ id: string }[]>,
  truth: SearchHit[][],
  count = queries.length,
): Promise<{ p50: number; p95: number; recall: number }> {
  const lat: number[] = [];
  let recall = 0;
  await search(queries[0]!); // warm-up
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const hits = await search(queries[i]!);
    lat.push(performance.now() - t0);
    const want = new Set(truth[i]!.map((h) => h.id));
    recall += hits.slice(0, k).filter((h) => want.has(h.id)).length / k;
  }
  return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), recall: recall / count };
}

const rows: string[][] = [["method", "build s", "disk MB", "RSS GB", "p50 ms", "p95 ms", "recall@10"]];
const row = (name: string, build: number | undefined, disk: number | undefined, r: { p50: number; p95: number; recall: number }) =>
  rows.push([
    name,
    build === undefined ? "" : build.toFixed(1),
    disk === undefined ? "" : (disk / 1e6).toFixed(0),
    build === undefined ? "" : rss(),
    r.p50.toFixed(1),
    r.p95.toFixed(1),
    r.recall.toFixed(3),
  ]);

stage("maxsim index: build");
// 1. maxsim's own index (PLAID-style, float32) — and its exact search as the truth.
const maxsimDir = join(root, "maxsim");
let t0 = performance.now();
const index = await MaxSimIndex.create(maxsimDir, { dim });
await index.bulk(async () => {
  for (let s = 0; s < nDocs; s += 1000) {
    const items = [];
    for (let i = s; i < Math.min(nDocs, s + 1000); i++) items.push({ id: corpus.ids[i]!, embeddings: corpus.doc(i) });
    await index.add(items);
  }
});
const maxsimBuild = (performance.now() - t0) / 1000;
stage("maxsim index: exact truth");
const truth: SearchHit[][] = [];
for (const q of queries) truth.push(await index.searchExact(q, { k }));
row("maxsim index (PLAID, float32)", maxsimBuild, await du(maxsimDir), await measure((q) => index.search(q, { k }), truth));
row("maxsim exact (ORT kernel)", undefined, undefined, await measure((q) => index.searchExact(q, { k }), truth));
await index.close();

// 2. the LanceDB engine: documents through LanceCollection.addVectors (no encoder runs in the bench).
const encoder: Encoder = {
  modelId: "bench/synthetic",
  dim,
  info: { modelId: "bench/synthetic", dim } as unknown as Encoder["info"],
  encodeQueries: () => Promise.reject(new Error("bench: vectors only")),
  encodeDocuments: () => Promise.reject(new Error("bench: vectors only")),
  tokenStrings: () => [],
  tokenize: () => new Int32Array(0),
  outputTokenIds: () => new Int32Array(0),
};
stage("LanceDB engine: build");
const lanceDir = join(root, "lance");
t0 = performance.now();
const lance = await LanceCollection.create(lanceDir, { model: encoder });
for (let s = 0; s < nDocs; s += 1000) {
  const docs = [];
  for (let i = s; i < Math.min(nDocs, s + 1000); i++) docs.push({ id: corpus.ids[i]!, vectors: corpus.doc(i) });
  await lance.addVectors(docs);
}
await lance.table.optimize();
const lanceBuild = (performance.now() - t0) / 1000;
const lanceDisk = await du(lanceDir);
stage("LanceDB: flat searches");
const plain = (extra: (q: ReturnType<typeof lance.table.vectorSearch>) => void) => async (q: TokenVectors) => {
  const search = lance.table.vectorSearch(queryTokens(q)).distanceType("cosine").select(["id", "_distance"]).limit(k);
  extra(search);
  return (await search.toArray()) as { id: string }[];
};
const flatNote = flatQueries < nQueries ? ` (${flatQueries} queries)` : "";
row(`LanceDB engine, flat scan + maxsim rescore${flatNote}`, lanceBuild, lanceDisk, await measure((q) => lance.searchVectors(q, { k }), truth, flatQueries));
row(
  `plain LanceDB multivector, flat${flatNote}`,
  undefined,
  undefined,
  await measure(
    plain(() => {}),
    truth,
    flatQueries,
  ),
);

// 3. with LanceDB's vector index on the multivector column (IVF-PQ, cosine).
if (withIvf) {
  const partitions = Number(arg("partitions", String(Math.max(16, Math.round(Math.sqrt(tokens) / 4)))));
  stage("LanceDB: IVF-PQ training");
  t0 = performance.now();
  await lance.table.createIndex("vectors", { config: Index.ivfPq({ distanceType: "cosine", numPartitions: partitions, numSubVectors: dim / 8 }) });
  const ivfBuild = (performance.now() - t0) / 1000;
  const ivfDisk = await du(lanceDir);
  console.log(`IVF-PQ: ${partitions} partitions, ${dim / 8} sub-vectors, trained in ${ivfBuild.toFixed(1)} s`);
  for (const nprobes of [20, 80]) {
    row(
      `LanceDB engine, IVF-PQ nprobes ${nprobes} + maxsim rescore`,
      nprobes === 20 ? lanceBuild + ivfBuild : undefined,
      nprobes === 20 ? ivfDisk : undefined,
      await measure((q) => lance.searchVectors(q, { k, nprobes }), truth),
    );
    row(
      `plain LanceDB multivector, IVF-PQ nprobes ${nprobes}`,
      undefined,
      undefined,
      await measure(
        plain((s) => s.nprobes(nprobes)),
        truth,
      ),
    );
  }
  row(
    "plain LanceDB multivector, IVF-PQ nprobes 20, refineFactor 4",
    undefined,
    undefined,
    await measure(
      plain((s) => s.nprobes(20).refineFactor(4)),
      truth,
    ),
  );
}
await lance.close();

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
await rm(root, { recursive: true, force: true });
