/**
 * Centroid probing bench: where does an hnswlib-node graph start to beat the exact ONNX Runtime
 * query-centroid product? For each centroid count k (dim 128, 32-token queries, nprobe 8), per
 * query: "exact" = the ORT product Cᵀ·Q plus a top-nprobe scan of each column (what
 * `CentroidIndex` does without HNSW); "exact (product reused)" = only the scan, since PLAID's stage
 * 3 computes the same product anyway whenever it runs; "hnsw" = 32 graph searches (ef 32). Also
 * HNSW's recall of the true top-nprobe centroids and its build time. Latencies are medians over
 * the queries, every figure from the same run. `HNSW_MIN_CENTROIDS` in `src/index/plaid.ts` is set
 * from this table.
 *
 *   pnpm --filter @maxsim/core bench:probe [-- --ks 1024,4096,16384,65536 --queries 40]
 */
import { parseArgs } from "node:util";
import { CentroidIndex } from "../src/index/plaid.js";
import { gaussian, seededRandom } from "../src/index/synthetic.js";
import type { TokenVectors } from "../src/types.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    ks: { type: "string", default: "512,2048,4096,8192,16384,32768,65536" },
    queries: { type: "string", default: "40" },
    dim: { type: "string", default: "128" },
    tokens: { type: "string", default: "32" },
    nprobe: { type: "string", default: "8" },
  },
});
const dim = Number(values.dim);
const m = Number(values.tokens);
const nprobe = Number(values.nprobe);
const nQueries = Number(values.queries);

function unitRows(n: number, random: () => number): Float32Array {
  const normal = gaussian(random);
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = normal();
      out[r * dim + d] = v;
      norm += v * v;
    }
    const s = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[r * dim + d]! *= s;
  }
  return out;
}

/** Query tokens near random centroids (as real query tokens sit near their clusters). */
function queriesNear(centroids: Float32Array, k: number, random: () => number): TokenVectors[] {
  const normal = gaussian(random);
  return Array.from({ length: nQueries }, () => {
    const data = new Float32Array(m * dim);
    for (let t = 0; t < m; t++) {
      const c = Math.floor(random() * k);
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = centroids[c * dim + d]! + 0.08 * normal();
        data[t * dim + d] = v;
        norm += v * v;
      }
      for (let d = 0; d < dim; d++) data[t * dim + d]! /= Math.sqrt(norm);
    }
    return { data, length: m, dim };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(`centroid probing, dim ${dim}, ${m}-token queries, nprobe ${nprobe}, ${nQueries} queries per k; medians per query (ms)`);
console.log("k\texact\texact (product reused)\thnsw\thnsw/exact\thnsw/scan\thnsw recall\thnsw build s");
for (const k of values.ks.split(",").map(Number)) {
  const random = seededRandom(k);
  const centroids = unitRows(k, random);
  const queries = queriesNear(centroids, k, random);
  const exact = new CentroidIndex(centroids, dim, "exact");
  const t0 = performance.now();
  const hnsw = new CentroidIndex(centroids, dim, "hnsw");
  const build = (performance.now() - t0) / 1000;
  await exact.centroidSimilarities(queries[0]!); // session warm-up
  const full: number[] = [];
  const scan: number[] = [];
  const graph: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const a = performance.now();
    const sims = await exact.centroidSimilarities(q);
    const b = performance.now();
    const truth: number[][] = [];
    for (let i = 0; i < m; i++) truth.push(exact.probe(q, i, nprobe, sims).ids);
    const c = performance.now();
    for (let i = 0; i < m; i++) {
      const found = hnsw.probe(q, i, nprobe, null).ids;
      for (const id of found) if (truth[i]!.includes(id)) hits += 1;
    }
    const d = performance.now();
    full.push(c - a);
    scan.push(c - b);
    graph.push(d - c);
  }
  const [f, s, g] = [median(full), median(scan), median(graph)];
  const recall = hits / (nQueries * m * nprobe);
  console.log(
    `${k}\t${f.toFixed(2)}\t${s.toFixed(2)}\t${g.toFixed(2)}\t${(g / f).toFixed(2)}\t${(g / s).toFixed(2)}\t${recall.toFixed(3)}\t${build.toFixed(1)}`,
  );
}
