/**
 * Retrieval metrics with trec_eval's definitions (the ones pytrec_eval, BEIR and the model cards
 * use), so numbers here are comparable with published ones:
 * - a run is ranked by score descending, ties broken by document id in *descending* string order
 *   (trec_eval's own tie rule, which is why it is not "first come first served");
 * - a document is relevant when its qrels grade is > 0; NDCG's gain is the grade itself and its
 *   discount 1/log2(rank + 1); the ideal ranking is built from every judged relevant document;
 * - recall@k = relevant documents in the top k / all relevant documents of the query;
 * - MRR@10 = 1 / rank of the first relevant document within the top 10, else 0;
 * - the mean is taken over queries that have at least one relevant judgement; such a query with
 *   no results scores 0 (trec_eval's `-c`); queries without judgements are ignored.
 */

/** Graded judgements: query id → document id → grade (> 0 is relevant). */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;
/** A run: query id → scored documents (any order; ranking follows trec_eval's rule). */
export type Run = ReadonlyMap<string, readonly { id: string; score: number }[]>;

/** The metrics maxsim reports. */
export interface MetricScores {
  "ndcg@10": number;
  "recall@1": number;
  "recall@10": number;
  "recall@100": number;
  "mrr@10": number;
}

/** Metric names in report order. */
export const METRIC_NAMES: readonly (keyof MetricScores)[] = ["ndcg@10", "recall@1", "recall@10", "recall@100", "mrr@10"];

/** Ranks hits as trec_eval does: score descending, then document id descending. */
export function trecRank(hits: readonly { id: string; score: number }[]): string[] {
  return [...hits].sort((a, b) => (b.score !== a.score ? b.score - a.score : a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((h) => h.id);
}

/** NDCG@k of one ranked list. */
export function ndcgAt(ranked: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const grade = judged.get(ranked[i] ?? "") ?? 0;
    if (grade > 0) dcg += grade / Math.log2(i + 2);
  }
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += (ideal[i] ?? 0) / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Recall@k of one ranked list. */
export function recallAt(ranked: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  let relevant = 0;
  for (const grade of judged.values()) if (grade > 0) relevant += 1;
  if (relevant === 0) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judged.get(ranked[i] ?? "") ?? 0) > 0) found += 1;
  return found / relevant;
}

/** Reciprocal rank of the first relevant document within the top k. */
export function mrrAt(ranked: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judged.get(ranked[i] ?? "") ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

/**
 * Mean metrics of a run against qrels, and the number of queries averaged.
 *
 * @example
 * ```ts
 * import { evaluateRun } from "./metrics.js";
 * const qrels = new Map([["q1", new Map([["d2", 1]])]]);
 * const run = new Map([["q1", [{ id: "d1", score: 0.9 }, { id: "d2", score: 0.5 }]]]);
 * console.log(evaluateRun(run, qrels).scores["mrr@10"]); // 0.5
 * ```
 */
export function evaluateRun(run: Run, qrels: Qrels): { scores: MetricScores; queries: number } {
  const sums: MetricScores = { "ndcg@10": 0, "recall@1": 0, "recall@10": 0, "recall@100": 0, "mrr@10": 0 };
  let queries = 0;
  for (const [qid, judged] of qrels) {
    if (![...judged.values()].some((g) => g > 0)) continue;
    queries += 1;
    const ranked = trecRank(run.get(qid) ?? []);
    sums["ndcg@10"] += ndcgAt(ranked, judged, 10);
    sums["recall@1"] += recallAt(ranked, judged, 1);
    sums["recall@10"] += recallAt(ranked, judged, 10);
    sums["recall@100"] += recallAt(ranked, judged, 100);
    sums["mrr@10"] += mrrAt(ranked, judged, 10);
  }
  const scores = { ...sums };
  for (const name of METRIC_NAMES) scores[name] = queries === 0 ? 0 : sums[name] / queries;
  return { scores, queries };
}
