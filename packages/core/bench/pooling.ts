/**
 * Token pooling (PyLate's hierarchical pooling, `poolTokens`) on every bench corpus family:
 * for pool factors 1, 2 and 3, the vectors kept per document token, the bytes per document token
 * in float32 and float16 storage, recall@10 of exact MaxSim over the pooled documents against
 * exact MaxSim over the unpooled ones (factor 1 is the baseline: 1.000 by construction), and the
 * pooling time per document. Corpora come from `@maxsim/core/bench-corpora` (synthetic,
 * ColBERT-shaped; the paper's "factor 2 at almost no loss" is about real model output, which
 * these only imitate).
 *
 * Second part, real text: XQuAD paragraphs (`$MAXSIM_SHARED/data/xquad`, default `../shared`
 * beside the repository; skipped with a message when absent) encoded by the multilingual fixture
 * model, pooled by the encoder (`poolFactor`), scored by the eval harness against XQuAD's qrels
 * (NDCG@10, exact search) and against the unpooled top-10, per (query, document) language pair.
 *
 * Run: `pnpm --filter @maxsim/core exec tsx --conditions=@maxsim/source bench/pooling.ts [docs=1000] [queries=50] [--xquad-only]`
 * Not a test: timings depend on the (shared) machine.
 */
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ColBERT } from "../src/encoder/colbert.js";
import { encodeCorpus, evaluateDataset } from "../src/eval/evaluate.js";
import { loadXquad } from "../src/eval/loaders/xquad.js";
import { ensureFixtures } from "../src/fixtures/index.js";
import { BENCH_FAMILY_NAMES, benchCorpus } from "../src/index/bench-corpora/index.js";
import { poolTokens } from "../src/encoder/token-pooling.js";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import type { TokenVectors } from "../src/types.js";

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const DOCS = Number(positional[0] ?? 1000);
const QUERIES = Number(positional[1] ?? 50);
const XQUAD_ONLY = process.argv.includes("--xquad-only");
const K = 10;
const DIM = 128;

async function exactTopK(docs: TokenVectors[], ids: string[], queries: TokenVectors[]): Promise<string[][]> {
  const index = MaxSimIndex.inMemory({ dim: DIM });
  await index.add(docs.map((embeddings, i) => ({ id: ids[i]!, embeddings })));
  const out: string[][] = [];
  for (const q of queries) out.push((await index.searchExact(q, { k: K })).map((h) => h.id));
  await index.close();
  return out;
}

if (!XQUAD_ONLY) await syntheticFamilies();

async function syntheticFamilies(): Promise<void> {
  console.log(
    `token pooling on the bench families: ${DOCS} documents (long: ${Math.min(DOCS, 300)}), ${QUERIES} queries, dim ${DIM}, recall@${K} vs unpooled exact MaxSim`,
  );
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} (shared 2-core machine)\n`,
  );
  console.log("family           factor | vectors/token | B/token f32  f16 | recall@10 | pool ms/doc");
  const summary = new Map<number, { recall: number; kept: number; n: number }>();
  for (const family of BENCH_FAMILY_NAMES) {
    const docs = family === "long" ? Math.min(DOCS, 300) : DOCS;
    const corpus = benchCorpus(family, { docs, dim: DIM, seed: 7 });
    const plain = corpus.ids.map((_, i) => corpus.doc(i));
    const tokens = plain.reduce((s, d) => s + d.length, 0);
    const queries = corpus.queries(QUERIES, 32, 11);
    const truth = await exactTopK(plain, corpus.ids, queries);
    for (const factor of [1, 2, 3]) {
      const t0 = performance.now();
      const pooled = plain.map((d) => poolTokens({ ...d, tokenIds: new Int32Array(d.length) }, factor));
      const ms = (performance.now() - t0) / docs;
      const kept = pooled.reduce((s, d) => s + d.length, 0) / tokens;
      const got = factor === 1 ? truth : await exactTopK(pooled, corpus.ids, queries);
      let hits = 0;
      got.forEach((ids, q) => (hits += ids.filter((id) => truth[q]!.includes(id)).length));
      const recall = hits / (K * queries.length);
      const s = summary.get(factor) ?? { recall: 0, kept: 0, n: 0 };
      summary.set(factor, { recall: s.recall + recall, kept: s.kept + kept, n: s.n + 1 });
      console.log(
        `${family.padEnd(16)} ${String(factor).padStart(6)} | ${kept.toFixed(3).padStart(13)} | ${(kept * DIM * 4).toFixed(0).padStart(12)} ${(kept * DIM * 2).toFixed(0).padStart(4)} | ${recall.toFixed(3).padStart(9)} | ${ms.toFixed(2).padStart(11)}`,
      );
    }
  }
  console.log("\nmean over families:");
  for (const [factor, s] of summary) console.log(`  factor ${factor}: vectors/token ${(s.kept / s.n).toFixed(3)}, recall@10 ${(s.recall / s.n).toFixed(3)}`);
}

// ---- real text through the multilingual fixture model
const shared = process.env.MAXSIM_SHARED ?? join(fileURLToPath(new URL("../../../..", import.meta.url)), "shared");
const xquadDir = join(shared, "data", "xquad");
if (!existsSync(join(xquadDir, "xquad.en.json"))) {
  console.log(`\nXQuAD part skipped: no XQuAD paragraphs in ${xquadDir} (set MAXSIM_SHARED to the folder that holds data/xquad).`);
} else {
  const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  console.log(`\nXQuAD through the multilingual fixture model (${xquadDir}), exact search, 200 questions per pair`);
  console.log("q→d    factor | vectors/token | NDCG@10 | recall@10 vs unpooled");
  for (const [queryLang, docLang] of [
    ["en", "en"],
    ["en", "de"],
    ["zh", "es"],
  ] as const) {
    const full = await loadXquad(xquadDir, { queryLang, docLang });
    const dataset = { ...full, queries: full.queries.slice(0, 200) };
    const qv = await encoder.encodeQueries(dataset.queries.map((q) => q.text));
    let truth: string[][] = [];
    for (const factor of [1, 2, 3]) {
      const pooled = {
        modelId: encoder.modelId,
        dim: encoder.dim,
        encodeQueries: (t: string[], o?: { batchSize?: number }) => encoder.encodeQueries(t, o),
        encodeDocuments: (t: string[], o?: { batchSize?: number }) => encoder.encodeDocuments(t, { ...o, poolFactor: factor }),
      };
      const create = (dim: number) => MaxSimIndex.inMemory({ dim });
      const corpus = await encodeCorpus(pooled, dataset.corpus, create);
      const plainTokens = (await encoder.encodeDocuments(dataset.corpus.map((d) => d.text))).reduce((s, e) => s + e.length, 0);
      let kept = 0;
      for (const d of dataset.corpus) kept += (corpus.index as MaxSimIndex).get(d.id)?.length ?? 0;
      const top: string[][] = [];
      for (const q of qv) top.push((await corpus.index.searchExact(q, { k: K })).map((h) => h.id));
      await corpus.index.close();
      if (factor === 1) truth = top;
      let hits = 0;
      top.forEach((ids, q) => (hits += ids.filter((id) => truth[q]!.includes(id)).length));
      const ndcg = (await evaluateDataset(pooled, dataset, create, { modes: ["exact"], k: K })).modes.exact!.scores["ndcg@10"];
      console.log(
        `${queryLang}→${docLang} ${String(factor).padStart(6)} | ${(kept / plainTokens).toFixed(3).padStart(13)} | ${ndcg.toFixed(3).padStart(7)} | ${(hits / (K * top.length)).toFixed(3)}`,
      );
    }
  }
  await encoder.dispose();
}
