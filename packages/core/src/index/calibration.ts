/**
 * Recall calibration of PLAID settings, run when centroids are trained or retrained: held-out
 * pseudo-queries are drawn from the index's own documents the way real queries look (a few of a
 * document's words, each given another token's contextual residual so it is not the stored
 * vector itself, then expansion-like tokens near their mean, to 32 tokens; three styles, see
 * {@link STYLES}), their exact top-10
 * is the truth, and a grid of (nprobe, candidates, rescore) is measured on them. The cheapest
 * point (by a deterministic cost model of the work each stage does, so the choice does not
 * depend on the machine's load) whose recall@10 meets the target is kept; every point is kept
 * too, so a query may ask for another target.
 */
import { seededRandom } from "./synthetic.js";
import { exactTopK, slotScores } from "./index-search.js";
import { centroidInteraction } from "./plaid.js";
import { CALIBRATION_MARGIN } from "./planner.js";
import type { SlotTable } from "./slot-table.js";
import type { TokenVectors } from "../types.js";
import type { Calibration, CalibrationPoint, PlaidSettings, SearchHit } from "./types.js";

const K = 10;
const QUERY_LENGTH = 32;
const NPROBES = [2, 4, 8, 16, 32];
/**
 * Nanoseconds per unit of work of each search stage for a 32-token query at dim 128, measured on
 * the 2-core development box (`bench/ann.ts` stage figures; relative sizes matter, not the
 * machine's speed): the query-centroid product and probe per centroid, a scanned inverted-list
 * entry, a candidate token in the centroid interaction, a rescored token (gathered, scored on the
 * ORT kernel), and a token of the exact scan (one GEMM over the arena, no gather). A fixed model
 * keeps the chosen settings independent of the machine's load at training time.
 */
const NS = { centroid: 180, listEntry: 4, interactionToken: 100, rescoreToken: 150, exactToken: 60 };

/**
 * (candidates, rescore) pairs, cheapest first by {@link searchCost}'s model: per candidate list
 * width, rescoring a sixteenth, a quarter or all of it. Where they are equal the candidates'
 * pruned score from the lists picks the rescored set directly and the centroid interaction is
 * skipped. The α-weighted interaction ranks well enough that a sixteenth often suffices (zipfian
 * corpus, 20k documents: the true top 10 within the best 256 of 4,096 candidates 0.99 of the
 * time), but it costs about two thirds of an exact rescoring per token, so wide lists rescored
 * whole stay in the grid for corpora where the lists' own order is what limits recall.
 */
const WIDTHS: readonly [number, number][] = [[128, 32] as [number, number]]
  .concat(
    [256, 512, 1024, 2048, 4096, 8192, 16384].flatMap((c): [number, number][] => [
      [c, Math.max(32, c / 16)],
      [c, c / 4],
      [c, c],
    ]),
  )
  .sort(([c1, r1], [c2, r2]) => widthCost(c1, r1) - widthCost(c2, r2));

/** Nanoseconds per document token of a width's interaction and rescoring ({@link searchCost} scales it; the grid is ordered by it). */
function widthCost(candidates: number, rescore: number): number {
  return (candidates > rescore ? candidates * NS.interactionToken : 0) + rescore * NS.rescoreToken;
}
/** Candidates the centroid interaction ranks at most: only widths that rescore fewer than they gather use it. */
const INTERACTED = Math.max(...WIDTHS.filter(([c, r]) => c > r).map(([c]) => c));
/**
 * Stop widening (and probing more) once a point reaches the target plus this: the grid explores
 * a little above the target for queries asking more, and stays cheap to measure at each training.
 */
const HEADROOM = 0.02;
/**
 * The pseudo-query styles; recall is the worst style's. `spread`: expansions tight or wide around
 * the query mean. `context`: each real token is the document's own token (`"own"`: the query
 * keeps the document's context) or another document's token at the same centroid (`"other"`: the
 * same word in another context), moved by a random token's residual either way. A real query
 * holds none of a document's own vectors: where many documents nearly repeat each other, `"own"`
 * queries find the source and its copies more easily than real ones do (100k near-duplicate bench
 * documents: calibrated on `"own"` alone, held-out recall@10 0.935–0.957 for the 0.97 target).
 */
const STYLES: readonly { spread: number; context: "own" | "other" }[] = [
  { spread: 0.2, context: "own" },
  { spread: 0.5, context: "own" },
  { spread: 0.5, context: "other" },
];

/** Modelled cost (ns) of one approximate search of `table` with settings `s`. */
export function searchCost(table: SlotTable, s: PlaidSettings): number {
  const ci = table.centroidIndex!;
  const avgTokens = table.liveTokens / Math.max(1, table.liveCount);
  const candidates = Math.min(s.candidates, table.liveCount);
  const rescore = Math.min(s.rescore, candidates);
  return ci.k * NS.centroid + QUERY_LENGTH * s.nprobe * ci.meanListLength() * NS.listEntry + avgTokens * widthCost(candidates, rescore);
}

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  targetRecall: number;
  /** Pseudo-queries. @defaultValue 32 */
  queries?: number;
  seed?: number;
}

/** Measures the grid on pseudo-queries over `table` (trained) and picks the settings; see the module comment. */
export async function calibrate(table: SlotTable, options: CalibrateOptions): Promise<Calibration> {
  const count = Math.max(STYLES.length, Math.min(options.queries ?? 32, table.liveCount));
  // `count` in all, shared out as evenly as the styles allow (32: 11, 11, 10).
  const per = (i: number) => Math.floor(count / STYLES.length) + (i < count % STYLES.length ? 1 : 0);
  const styles = STYLES.map((style, i) => pseudoQueries(table, per(i), (options.seed ?? 1) + 7919 * i, style.spread, style.context));
  const queries = styles.flat();
  const styleIndex = styles.flatMap((qs, s) => qs.map(() => s));
  const styleOf = (i: number): number => styleIndex[i]!;
  const truth = await exactTopK(table, queries, { k: K });
  const cost = (s: PlaidSettings): number => searchCost(table, s);
  const enough = Math.min(0.999, options.targetRecall + CALIBRATION_MARGIN + HEADROOM);
  const grid: (CalibrationPoint & { latencyMs: number })[] = [];
  // Exact scores, once per (query, slot): each grid point rescores a subset of the same documents.
  const exactScores = queries.map(() => new Map<number, number>());
  for (const nprobe of NPROBES) {
    const hit = WIDTHS.map(() => STYLES.map(() => 0));
    const t0 = performance.now();
    for (const [i, q] of queries.entries()) {
      const found = await widthHits(table, q, nprobe, truth[i]!, exactScores[i]!);
      found.forEach((h, w) => (hit[w]![styleOf(i)]! += h));
    }
    // One pass serves every width of this nprobe: its time is shared out by rescoring work.
    const latencyMs = (performance.now() - t0) / Math.max(1, queries.length) / WIDTHS.length;
    let best = 0;
    for (const [w, [candidates, rescore]] of WIDTHS.entries()) {
      const settings = { nprobe, candidates, rescore };
      const recall = Math.min(...hit[w]!.map((h, s) => h / Math.max(1, styles[s]!.length)));
      grid.push({ ...settings, recall, cost: Math.round(cost(settings)), latencyMs });
      best = Math.max(best, recall);
      if (recall >= enough || rescore >= table.liveCount) break;
    }
    if (best >= enough) break;
  }
  grid.sort((a, b) => a.cost - b.cost);
  const exactCost = Math.round(table.liveTokens * NS.exactToken);
  const meeting = grid.find((p) => p.recall >= Math.min(1, options.targetRecall + CALIBRATION_MARGIN));
  const chosen = meeting ?? [...grid].sort((a, b) => b.recall - a.recall || a.cost - b.cost)[0]!;
  return {
    targetRecall: options.targetRecall,
    settings: { nprobe: chosen.nprobe, candidates: chosen.candidates, rescore: chosen.rescore },
    recall: chosen.recall,
    latencyMs: chosen.latencyMs,
    queries: queries.length,
    queryLength: QUERY_LENGTH,
    grid: grid.map(({ latencyMs: _l, ...p }) => p),
    exactCost,
    calibratedAt: new Date().toISOString(),
    documents: table.liveCount,
    tokens: table.liveTokens,
  };
}

/**
 * Recall@10 of `query` (against `truth`) at every width of {@link WIDTHS} for one nprobe, as
 * approximate search answers it: candidates come best first, so a width's candidates are a
 * prefix of the widest list, and its full centroid interaction is computed once.
 */
async function widthHits(table: SlotTable, query: TokenVectors, nprobe: number, truth: readonly SearchHit[], exact: Map<number, number>): Promise<number[]> {
  const ci = table.centroidIndex!;
  const want = new Set(truth.map((h) => h.id));
  const wanted = Math.max(1, Math.min(K, want.size));
  const sims = await ci.centroidSimilarities(query);
  const widest = WIDTHS[WIDTHS.length - 1]![0];
  const all = ci.candidates(query, table.slots, nprobe, Math.max(widest, K), () => true, ci.prober === "exact" ? sims : null);
  const approx = centroidInteraction(sims, query.length, all.subarray(0, Math.min(all.length, INTERACTED)), table.offsets, table.codes, table.alphas());
  const scoreOf = async (slots: number[]): Promise<number[]> => {
    const missing = slots.filter((s) => !exact.has(s));
    if (missing.length > 0) {
      const scores = await slotScores(table, query, Int32Array.from(missing));
      missing.forEach((s, x) => exact.set(s, scores[x]!));
    }
    return slots.map((s) => exact.get(s)!);
  };
  const recallOf = async (slots: number[]): Promise<number> => {
    const scores = await scoreOf(slots);
    const order = slots.map((s, x) => ({ id: table.slotIds[s]!, score: scores[x]! })).sort((a, b) => b.score - a.score);
    return order.slice(0, K).filter((h) => want.has(h.id)).length / wanted;
  };
  const out: number[] = [];
  for (const [candidates, rescore] of WIDTHS) {
    const n = Math.min(all.length, Math.max(candidates, K));
    // As approximate search: too few candidates → exact (the truth); few enough → all rescored.
    if (n < Math.min(K, table.liveCount)) out.push(1);
    else if (n <= Math.max(rescore, K)) out.push(await recallOf(Array.from(all.subarray(0, n))));
    else {
      const keep = Math.max(rescore, K);
      const order = Array.from({ length: n }, (_, x) => x).sort((a, b) => approx[b]! - approx[a]! || all[a]! - all[b]!); // ties: lower slot, as search
      out.push(await recallOf(order.slice(0, keep).map((x) => all[x]!)));
    }
  }
  return out;
}

/**
 * Pseudo-queries from the table's live documents: 4–12 of a document's tokens (`context`
 * `"other"`: each replaced by another document's token at its centroid, when there is one), each
 * moved by a random token's residual, then expansion-like tokens (the mean of those plus a
 * residual at weight `spread`) up to 32 tokens.
 */
export function pseudoQueries(table: SlotTable, count: number, seed: number, spread = 0.5, context: "own" | "other" = "own"): TokenVectors[] {
  const random = seededRandom(seed);
  const dim = table.dim;
  const ci = table.centroidIndex!;
  const live: number[] = [];
  for (let s = 0; s < table.slots; s++) if (table.alive[s] === 1) live.push(s);
  const row = new Float32Array(dim);
  const residual = (out: Float32Array): void => {
    // A random live token's offset from its centroid.
    const slot = live[Math.floor(random() * live.length)]!;
    const lo = table.offsets[slot]!;
    const t = lo + Math.floor(random() * (table.offsets[slot + 1]! - lo));
    table.arena.decode(t, t + 1, out);
    const c = table.codes[t]! * dim;
    for (let d = 0; d < dim; d++) out[d]! -= ci.centroids[c + d]!;
  };
  // Another document's token at token t's centroid (the same word in another context), else t.
  const sameCentroid = (slot: number, t: number): number => {
    const c = table.codes[t]!;
    const holder = ci.otherHolder(c, slot, random);
    let other = t;
    if (holder >= 0 && table.alive[holder] === 1) {
      const at: number[] = [];
      for (let u = table.offsets[holder]!; u < table.offsets[holder + 1]!; u++) if (table.codes[u] === c) at.push(u);
      if (at.length > 0) other = at[Math.floor(random() * at.length)]!;
    }
    return other;
  };
  const out: TokenVectors[] = [];
  const r = new Float32Array(dim);
  for (let q = 0; q < count; q++) {
    const slot = live[Math.floor(random() * live.length)]!;
    const lo = table.offsets[slot]!;
    const n = table.offsets[slot + 1]! - lo;
    const real = Math.max(1, Math.min(n, 4 + Math.floor(random() * 9)));
    const data = new Float32Array(QUERY_LENGTH * dim);
    const mean = new Float32Array(dim);
    for (let i = 0; i < real; i++) {
      const t = lo + Math.floor(random() * n);
      const source = context === "own" ? t : sameCentroid(slot, t);
      table.arena.decode(source, source + 1, row);
      residual(r);
      for (let d = 0; d < dim; d++) data[i * dim + d] = row[d]! + r[d]!;
      normalize(data, i * dim, dim);
      for (let d = 0; d < dim; d++) mean[d]! += data[i * dim + d]!;
    }
    normalize(mean, 0, dim);
    for (let i = real; i < QUERY_LENGTH; i++) {
      residual(r);
      for (let d = 0; d < dim; d++) data[i * dim + d] = mean[d]! + spread * r[d]!;
      normalize(data, i * dim, dim);
    }
    out.push({ data, length: QUERY_LENGTH, dim });
  }
  return out;
}

function normalize(v: Float32Array, at: number, dim: number): void {
  let n = 0;
  for (let d = 0; d < dim; d++) n += v[at + d]! * v[at + d]!;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let d = 0; d < dim; d++) v[at + d]! *= inv;
}
