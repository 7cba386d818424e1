/**
 * Search at every corpus size, on the bench corpus family: per family × size, the exact scan
 * (`searchExact`) and the default `search` (planner + calibrated PLAID) latency p50/p95, the
 * speed-up, recall@10 of the default against exact, which plan ran, the calibration's choice,
 * and the cost of stage 2 (exact rescoring of candidates: decode + kernel) per candidate,
 * measured by `rerank` of 128 stored ids. Every figure is beside its exact baseline from the
 * same run.
 *
 *   pnpm --filter @maxsim/core bench:ann [-- --families zipfian,short --sizes 3000,20000 --queries 30]
 *   pnpm --filter @maxsim/core bench:ann -- --families zipfian --sizes 100000 --queries 10 --codec float32
 */
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { BENCH_FAMILY_NAMES, benchCorpus, type BenchFamily } from "../src/index/bench-corpora/index.js";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import type { IndexCodec, SearchHit } from "../src/index/types.js";
import type { TokenVectors } from "../src/types.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    families: { type: "string", default: BENCH_FAMILY_NAMES.join(",") },
    sizes: { type: "string", default: "3000,20000,100000" },
    queries: { type: "string", default: "30" },
    codec: { type: "string", default: "float32" },
    /** Skip family × size pairs above this many tokens (memory and time on a shared box). */
    "max-tokens": { type: "string", default: "8000000" },
  },
});
const k = 10;
const nQueries = Number(values.queries);
const codec = values.codec as IndexCodec;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(
  `bench corpora × sizes, dim 128, codec ${codec}, ${nQueries} queries × 32 tokens, k = ${k}; load average at start ${loadavg()[0]!.toFixed(1)} on a shared 2-core box`,
);
const header = [
  "family",
  "docs",
  "tokens",
  "build s",
  "exact p50",
  "p95",
  "search p50",
  "p95",
  "speed-up",
  "recall@10",
  "plan",
  "calibrated (nprobe cand→resc, recall)",
  "stage 2 µs/cand",
];
console.log(header.join(" | "));

async function timed(fn: (q: TokenVectors) => Promise<SearchHit[]>, queries: TokenVectors[]): Promise<{ lat: number[]; hits: SearchHit[][] }> {
  await fn(queries[0]!); // warm-up
  const lat: number[] = [];
  const hits: SearchHit[][] = [];
  for (const q of queries) {
    const t0 = performance.now();
    hits.push(await fn(q));
    lat.push(performance.now() - t0);
  }
  return { lat, hits };
}

for (const size of values.sizes.split(",").map(Number)) {
  for (const family of values.families.split(",") as BenchFamily[]) {
    const corpus = benchCorpus(family, { docs: size, seed: 1 });
    const tokens = corpus.offsets[size]!;
    if (tokens > Number(values["max-tokens"])) {
      console.log([family, size, tokens, "skipped: over --max-tokens"].join(" | "));
      continue;
    }
    const queries = corpus.queries(nQueries, 32, 7);
    const t0 = performance.now();
    const index = MaxSimIndex.inMemory({ dim: 128, codec });
    // As Collection.addDocuments and `maxsim index` load: one bulk, trained (and calibrated) once.
    await index.bulk(async () => {
      for (let i = 0; i < size; i += 5000) await index.add(corpus.ids.slice(i, i + 5000).map((id, j) => ({ id, embeddings: corpus.doc(i + j) })));
    });
    const build = (performance.now() - t0) / 1000;
    const exact = await timed((q) => index.searchExact(q, { k }), queries);
    const search = await timed((q) => index.search(q, { k }), queries);
    let recall = 0;
    search.hits.forEach((hits, i) => {
      const want = new Set(exact.hits[i]!.map((h) => h.id));
      recall += hits.filter((h) => want.has(h.id)).length / k;
    });
    recall /= queries.length;
    const plans = new Map<string, number>();
    for (const q of queries) {
      const p = await index.explainSearch(q, { k });
      const key = `${p.kind} (${p.reason})`;
      plans.set(key, (plans.get(key) ?? 0) + 1);
    }
    const c = index.calibration;
    // Stage 2: exact rescoring of 128 candidates (their rows decoded, one kernel call).
    const cand = corpus.ids.slice(0, Math.min(128, size));
    const rer = await timed((q) => index.rerank(q, cand, { k }), queries.slice(0, Math.min(10, queries.length)));
    const perCand = (pct(rer.lat, 0.5) * 1000) / cand.length;
    const ep50 = pct(exact.lat, 0.5);
    const sp50 = pct(search.lat, 0.5);
    console.log(
      [
        family,
        size,
        tokens,
        build.toFixed(0),
        ep50.toFixed(1),
        pct(exact.lat, 0.95).toFixed(1),
        sp50.toFixed(1),
        pct(search.lat, 0.95).toFixed(1),
        `${(ep50 / sp50).toFixed(1)}×`,
        recall.toFixed(3),
        [...plans].map(([p, n]) => (plans.size > 1 ? `${p} ×${n}` : p)).join(", "),
        c === null ? "untrained" : `${c.settings.nprobe} ${c.settings.candidates}→${c.settings.rescore}, ${c.recall.toFixed(3)}`,
        `${perCand.toFixed(1)} (${(perCand / (tokens / size)).toFixed(2)}/token)`,
      ].join(" | "),
    );
    await index.close();
  }
}
