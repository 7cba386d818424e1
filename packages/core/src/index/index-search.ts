/**
 * Search over a {@link SlotTable}: the exact top-k (one implementation for one query and for
 * batches: one ONNX Runtime product per block for up to 8 queries), PLAID-style approximate
 * search (candidates from the centroid inverted lists, full centroid interaction, exact rescoring
 * of the best), scoring of chosen slots, and reranking of stored ids.
 */
import { MaxsimError, throwIfAborted } from "../errors.js";
import { checkVectors } from "../scoring/flat-tokens.js";
import { scoreFlatJs } from "../scoring/js-kernel.js";
import { scoreFlatOrt } from "../scoring/ort-kernel.js";
import type { TokenVectors } from "../types.js";
import { positiveInt } from "./index-state.js";
import { centroidInteraction, nthLargest } from "./plaid.js";
import { planSearch, type PlannerDefaults } from "./planner.js";
import type { SlotTable } from "./slot-table.js";
import { TopK, withNormalizedScores } from "./top-k.js";
import type { ExactSearchOptions, PlaidSettings, SearchHit, SearchOptions, SearchPlan } from "./types.js";

const JS_KERNEL_TOKENS = 512; // below this many document tokens, the JS kernel beats a session call
const EXACT_GROUP = 8; // queries per ONNX Runtime product in batched exact search

/** `INVALID_OPTION` for a bad k, `DIM_MISMATCH` / `INVALID_VECTOR` for a bad query. */
export function checkSearch(query: TokenVectors, k: number, dim: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new MaxsimError("INVALID_OPTION", `k must be an integer ≥ 1 (got ${k}). Ask for at least one hit.`);
  }
  checkVectors(query, "The query", dim);
}

/** Exact top-k of each query (brute force, or over the matching set of a selective filter). */
export async function exactTopK(table: SlotTable, queries: readonly TokenVectors[], options: ExactSearchOptions): Promise<SearchHit[][]> {
  for (const q of queries) checkSearch(q, options.k, table.dim);
  throwIfAborted(options.signal);
  if (table.liveCount === 0) return queries.map(() => []);
  const accept = table.acceptor(options.filter);
  if (options.filter !== undefined) {
    const matching = table.matchingSlots(accept);
    if (matching.length * 8 < table.liveCount) return Promise.all(queries.map((q) => scoreSlots(table, q, matching, options.k)));
  }
  const out: SearchHit[][] = [];
  // Slots added while the kernel runs are not in the scores: loop over the scored ones only.
  const ids = table.slotIds;
  for (let i = 0; i < queries.length; i += EXACT_GROUP) {
    const scores = await scoreFlatOrt(queries.slice(i, i + EXACT_GROUP), table.flat());
    throwIfAborted(options.signal);
    for (const sc of scores) {
      const top = new TopK(options.k);
      for (let s = 0; s < sc.length; s++) if (accept(s)) top.push(ids[s]!, sc[s]!);
      out.push(withNormalizedScores(top.result(), queries[out.length]!.length));
    }
  }
  return out;
}

/** What a search scans under its filter: the matching slots (null without a filter), their tokens and count. */
interface Scope {
  accept: (slot: number) => boolean;
  matching: Int32Array | null;
  tokens: number;
  documents: number;
}

function scopeOf(table: SlotTable, options: SearchOptions): Scope {
  const accept = table.acceptor(options.filter);
  if (options.filter === undefined) return { accept, matching: null, tokens: table.liveTokens, documents: table.liveCount };
  const matching = table.matchingSlots(accept);
  let tokens = 0;
  for (const s of matching) tokens += table.offsets[s + 1]! - table.offsets[s]!;
  return { accept, matching, tokens, documents: matching.length };
}

/** The plan of a search (see `planner.ts`), a selective filter's exact scoring of its matches included. */
async function planFor(table: SlotTable, defaults: PlannerDefaults, query: TokenVectors, options: SearchOptions, scope: Scope): Promise<SearchPlan> {
  const plan = await planSearch(table, defaults, query, options, scope.tokens, scope.documents);
  if (plan.kind === "approximate" && plan.reason !== "forced" && scope.matching !== null) {
    const threshold = Math.max(options.exactBelow ?? 2000, Math.floor(table.liveCount / 100));
    if (scope.documents <= threshold) return { kind: "exact", reason: "filter", tokens: plan.tokens, estimatedExactMs: plan.estimatedExactMs, latencyBudgetMs: plan.latencyBudgetMs, targetRecall: plan.targetRecall };
  }
  return plan;
}

/** The plan {@link plannedTopK} would run for `query`, without running it. */
export async function explainPlan(table: SlotTable, defaults: PlannerDefaults, query: TokenVectors, options: SearchOptions): Promise<SearchPlan> {
  checkSearch(query, options.k, table.dim);
  checkPlanOptions(options);
  return planFor(table, defaults, query, options, scopeOf(table, options));
}

/** `INVALID_OPTION` for a bad `targetRecall`, `latencyBudgetMs` or PLAID setting. */
function checkPlanOptions(options: SearchOptions): void {
  const t = options.targetRecall;
  if (t !== undefined && !(typeof t === "number" && t > 0 && t <= 1)) {
    throw new MaxsimError("INVALID_OPTION", `targetRecall must be a number in (0, 1] (got ${String(t)}). Ask for e.g. 0.95, or exact: true for exact results.`);
  }
  const b = options.latencyBudgetMs;
  if (b !== undefined && !(typeof b === "number" && b >= 0 && !Number.isNaN(b))) {
    throw new MaxsimError("INVALID_OPTION", `latencyBudgetMs must be a number ≥ 0 (got ${String(b)}). Pass 0 to search approximately whenever the index is trained.`);
  }
  if (options.nprobe !== undefined) positiveInt(options.nprobe, "nprobe");
  if (options.candidates !== undefined) positiveInt(options.candidates, "candidates");
  if (options.rescore !== undefined) positiveInt(options.rescore, "rescore");
}

/** The search `search()` runs: planned (exact or approximate), with its plan. */
export async function plannedTopK(table: SlotTable, defaults: PlannerDefaults, query: TokenVectors, options: SearchOptions): Promise<{ hits: SearchHit[]; plan: SearchPlan }> {
  checkSearch(query, options.k, table.dim);
  checkPlanOptions(options);
  throwIfAborted(options.signal);
  const scope = scopeOf(table, options);
  const plan = await planFor(table, defaults, query, options, scope);
  if (table.liveCount === 0) return { hits: [], plan };
  if (plan.kind === "exact" || table.centroidIndex === null) {
    const hits = scope.matching !== null && plan.reason === "filter" ? await scoreSlots(table, query, scope.matching, options.k) : (await exactTopK(table, [query], options))[0]!;
    return { hits, plan };
  }
  return { hits: await approximate(table, query, options, plan.settings!, scope), plan };
}

/** Approximate search of a trained table with fixed settings, no filter (what calibration measures). */
export function plaidSearch(table: SlotTable, query: TokenVectors, k: number, settings: PlaidSettings): Promise<SearchHit[]> {
  return approximate(table, query, { k }, settings, scopeOf(table, { k }));
}

/** PLAID: candidates from the inverted lists, full centroid interaction on them, exact on the best. */
async function approximate(table: SlotTable, query: TokenVectors, options: SearchOptions, settings: PlaidSettings, scope: Scope): Promise<SearchHit[]> {
  const centroids = table.centroidIndex!;
  const { nprobe, candidates: want, rescore } = settings;
  const exact = async (): Promise<SearchHit[]> => (await exactTopK(table, [query], options))[0]!;
  const candidates = centroids.candidates(query, table.slots, nprobe, Math.max(want, options.k), scope.accept);
  throwIfAborted(options.signal);
  // Too few probed documents to fill k (tiny nprobe, or a restrictive filter): score all matching.
  if (candidates.length < Math.min(options.k, scope.documents)) return exact();
  if (candidates.length <= Math.max(rescore, options.k)) return scoreSlots(table, query, candidates, options.k);
  // PLAID stage 3: full centroid interaction on the candidates; stage 4: exact on the best.
  const offsets = table.offsets;
  const codes = table.codes;
  const sims = await centroids.centroidSimilarities(query);
  const approx = centroidInteraction(sims, query.length, candidates, offsets, codes);
  const keep = Math.max(rescore, options.k);
  const threshold = nthLargest(approx.slice(), keep);
  const best: number[] = [];
  candidates.forEach((s, i) => {
    if (approx[i]! > threshold) best.push(s);
  });
  candidates.forEach((s, i) => {
    if (approx[i] === threshold && best.length < keep) best.push(s);
  });
  return scoreSlots(table, query, Int32Array.from(best), options.k);
}

/** Exact scores of `slots` (their rows decoded into one small buffer), top k. */
export async function scoreSlots(table: SlotTable, query: TokenVectors, slots: Int32Array, k: number): Promise<SearchHit[]> {
  if (slots.length === 0) return [];
  const flat = table.gather(slots);
  const total = flat.offsets[slots.length]!;
  const scores = total <= JS_KERNEL_TOKENS ? scoreFlatJs(query, flat) : (await scoreFlatOrt([query], flat))[0]!;
  const top = new TopK(k);
  const ids = table.slotIds;
  slots.forEach((s, i) => top.push(ids[s]!, scores[i]!));
  return withNormalizedScores(top.result(), query.length);
}

/** Exact scores of stored documents `ids`, best first, at most `k`; `NOT_FOUND` for an unknown id. */
export async function rerankIds(table: SlotTable, query: TokenVectors, ids: readonly string[], k: number | undefined): Promise<SearchHit[]> {
  const unique = [...new Set(ids)];
  checkSearch(query, k ?? Math.max(1, unique.length), table.dim);
  const slots = unique.map((id) => {
    const slot = table.idToSlot.get(id);
    if (slot === undefined) throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Rerank only stored ids (check index.has(id)).`);
    return slot;
  });
  if (slots.length === 0) return [];
  return scoreSlots(table, query, Int32Array.from(slots), k ?? slots.length);
}
