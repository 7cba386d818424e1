/**
 * Two tiers on every bench corpus family: a `residual-2` index with its float16 rows on disk
 * (`diskTier: "float16"`), built the way `Collection.addDocuments` builds (one bulk, trained and
 * calibrated once), against float32 exact MaxSim over the generated corpus (the truth): recall@10
 * of the default search and of a search asking `targetRecall` 0.99, which plan each ran, and the
 * memory tier's bytes per token. Beside `bench/scale.ts`, which measures latency and memory on its
 * one streamed corpus.
 *
 *   pnpm --filter @maxsim/core bench:tier-families [-- --docs 20000 --families zipfian,short --queries 30]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_FAMILY_NAMES, benchCorpus, type BenchFamily } from "../src/index/bench-corpora/index.js";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import { TopK } from "../src/index/top-k.js";
import type { SearchHit, SearchOptions } from "../src/index/types.js";
import { scoreFlatOrt } from "../src/scoring/ort-kernel.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    families: { type: "string", default: BENCH_FAMILY_NAMES.join(",") },
    docs: { type: "string", default: "20000" },
    /** The `long` family's documents are 256–512 tokens: fewer of them. */
    "long-docs": { type: "string", default: "3000" },
    queries: { type: "string", default: "30" },
  },
});
const k = 10;
console.log(`two tiers (residual-2 in memory, float16 on disk) per bench family, dim 128, ${values.queries} queries × 32 tokens, recall@${k} vs float32 exact`);
console.log("family | docs | tokens | memory B/token | default recall@10 | plan | targetRecall 0.99: recall@10 | plan");

for (const family of values.families.split(",") as BenchFamily[]) {
  const docs = Number(family === "long" ? values["long-docs"] : values.docs);
  const corpus = benchCorpus(family, { docs, seed: 1 });
  const queries = corpus.queries(Number(values.queries), 32, 7);
  const truth: Set<string>[] = [];
  for (let q = 0; q < queries.length; q += 8) {
    const scores = await scoreFlatOrt(queries.slice(q, q + 8), corpus);
    for (const sc of scores) {
      const top = new TopK(k);
      sc.forEach((s, d) => top.push(corpus.ids[d]!, s));
      truth.push(new Set(top.result().map((h) => h.id)));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "maxsim-tier-families-"));
  try {
    const index = await MaxSimIndex.create(dir, { dim: 128, codec: "residual-2", diskTier: "float16" });
    await index.bulk(async () => {
      for (let i = 0; i < docs; i += 5000) await index.add(corpus.ids.slice(i, i + 5000).map((id, j) => ({ id, embeddings: corpus.doc(i + j) })));
    });
    const measure = async (options: Omit<SearchOptions, "k">): Promise<[string, string]> => {
      let found = 0;
      const plans = new Map<string, number>();
      for (const [i, q] of queries.entries()) {
        const hits: SearchHit[] = await index.search(q, { k, ...options });
        found += hits.filter((h) => truth[i]!.has(h.id)).length;
        const p = await index.explainSearch(q, { k, ...options });
        plans.set(`${p.kind} (${p.reason})`, (plans.get(`${p.kind} (${p.reason})`) ?? 0) + 1);
      }
      return [(found / (k * queries.length)).toFixed(3), [...plans].map(([p, n]) => (plans.size > 1 ? `${p} ×${n}` : p)).join(", ")];
    };
    const [recall, plan] = await measure({});
    const [recall99, plan99] = await measure({ targetRecall: 0.99 });
    const tokens = corpus.offsets[docs]!;
    console.log([family, docs, tokens, (index.vectorBytesInMemory() / tokens).toFixed(1), recall, plan, recall99, plan99].join(" | "));
    await index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
