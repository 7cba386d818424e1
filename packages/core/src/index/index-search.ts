/**
 * Search over a {@link SlotTable}: the exact top-k (one implementation for one query and for
 * batches: one ONNX Runtime product per block for up to 8 queries), PLAID-style approximate
 * search (candidates from the centroid inverted lists, full centroid interaction, exact rescoring
 * of the best), scoring of chosen slots, and reranking of stored ids.
 */
import { MaxsimError, throwIfAborted } from "../errors.js";
import { checkVectors, type FlatTokens, type TokenBlocks } from "../scoring/flat-tokens.js";
import { scoreFlatJs } from "../scoring/js-kernel.js";
import { scoreFlatOrt } from "../scoring/ort-kernel.js";
import type { TokenVectors } from "../types.js";
import { positiveInt } from "./index-state.js";
import { centroidInteraction, nthLargest } from "./plaid.js";
import type { SlotTable } from "./slot-table.js";
import { planSearch, type PlannerDefaults } from "./planner.js";
import { releaseScratch, takeScratch } from "./scratch-pool.js";
import { TopK, withNormalizedScores } from "./top-k.js";
import { idList, queryList, searchOptions } from "./boundary.js";
import type { ExactSearchOptions, PlaidSettings, SearchHit, SearchOptions, SearchPlan } from "./types.js";

const JS_KERNEL_TOKENS = 512; // below this many document tokens, the JS kernel beats a session call
const EXACT_GROUP = 8; // queries per ONNX Runtime product in batched exact search

/** `INVALID_OPTION` for a bad k, `DIM_MISMATCH` / `INVALID_VECTOR` for a bad query. */
export function checkSearch(query: TokenVectors, k: number, dim: number, options?: object): void {
  if (options !== undefined) searchOptions("MaxSimIndex.search", options);
  if (!Number.isInteger(k) || k < 1) {
    throw new MaxsimError("INVALID_OPTION", `k must be an integer ≥ 1 (got ${k}). Ask for at least one hit.`);
  }
  checkVectors(query, "The query", dim);
}

/** Exact top-k of each query (brute force, or over the matching set of a selective filter). */
export async function exactTopK(table: SlotTable, queries: readonly TokenVectors[], options: ExactSearchOptions): Promise<SearchHit[][]> {
  queryList("MaxSimIndex.searchExactBatch", queries);
  for (const q of queries) checkSearch(q, options?.k, table.dim, options);
  throwIfAborted(options.signal);
  if (table.liveCount === 0) return queries.map(() => []);
  const accept = table.acceptor(options.filter);
  if (options.filter !== undefined) {
    const matching = table.matchingSlots(accept);
    if (matching.length * 8 < table.liveCount) return Promise.all(queries.map((q) => scoreSlots(table, q, matching, options.k)));
  }
  if (table.tier !== null) return exactFromTier(table, queries, options.k, accept, options.signal);
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
  // A selective filter is scored exactly over its matches, whatever made the plan not a plain scan.
  const open = plan.reason === "over-budget" || plan.reason === "exact-cheaper" || plan.reason === "target-unreachable";
  if (open && scope.matching !== null) {
    const threshold = Math.max(options.exactBelow ?? 2000, Math.floor(table.liveCount / 100));
    if (scope.documents <= threshold)
      return {
        kind: "exact",
        reason: "filter",
        tokens: plan.tokens,
        estimatedExactMs: plan.estimatedExactMs,
        latencyBudgetMs: plan.latencyBudgetMs,
        targetRecall: plan.targetRecall,
      };
  }
  return plan;
}

/** The plan {@link plannedTopK} would run for `query`, without running it. */
export async function explainPlan(table: SlotTable, defaults: PlannerDefaults, query: TokenVectors, options: SearchOptions): Promise<SearchPlan> {
  checkSearch(query, options?.k, table.dim, options);
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
    throw new MaxsimError(
      "INVALID_OPTION",
      `latencyBudgetMs must be a number ≥ 0 (got ${String(b)}). Pass 0 to search approximately whenever the index is trained.`,
    );
  }
  if (options.nprobe !== undefined) positiveInt(options.nprobe, "nprobe");
  if (options.candidates !== undefined) positiveInt(options.candidates, "candidates");
  if (options.rescore !== undefined) positiveInt(options.rescore, "rescore");
}

/** The search `search()` runs: planned (exact or approximate), with its plan. */
export async function plannedTopK(
  table: SlotTable,
  defaults: PlannerDefaults,
  query: TokenVectors,
  options: SearchOptions,
): Promise<{ hits: SearchHit[]; plan: SearchPlan }> {
  checkSearch(query, options?.k, table.dim, options);
  checkPlanOptions(options);
  throwIfAborted(options.signal);
  const scope = scopeOf(table, options);
  const plan = await planFor(table, defaults, query, options, scope);
  if (table.liveCount === 0) return { hits: [], plan };
  if (plan.kind === "exact" || table.centroidIndex === null) {
    const hits =
      scope.matching !== null && plan.reason === "filter"
        ? await scoreSlots(table, query, scope.matching, options.k)
        : (await exactTopK(table, [query], options))[0]!;
    return { hits, plan };
  }
  return { hits: await approximate(table, query, options, plan.settings!, scope), plan };
}

/** PLAID: candidates from the inverted lists, full centroid interaction on them, exact on the best. */
async function approximate(table: SlotTable, query: TokenVectors, options: SearchOptions, settings: PlaidSettings, scope: Scope): Promise<SearchHit[]> {
  const centroids = table.centroidIndex!;
  const { nprobe, candidates: want, rescore } = settings;
  const exact = async (): Promise<SearchHit[]> => (await exactTopK(table, [query], options))[0]!;
  // The exact prober reads the query-centroid product, which stage 3 below reuses.
  const probeSims = centroids.prober === "exact" ? await centroids.centroidSimilarities(query) : null;
  const candidates = centroids.candidates(query, table.slots, nprobe, Math.max(want, options.k), scope.accept, probeSims, false);
  throwIfAborted(options.signal);
  // Too few probed documents to fill k (tiny nprobe, or a restrictive filter): score all matching.
  if (candidates.length < Math.min(options.k, scope.documents)) return exact();
  if (candidates.length <= Math.max(rescore, options.k)) return scoreSlots(table, query, candidates, options.k);
  // PLAID stage 3: full centroid interaction on the candidates; stage 4: exact on the best.
  const offsets = table.offsets;
  const codes = table.codes;
  const sims = probeSims ?? (await centroids.centroidSimilarities(query));
  const approx = centroidInteraction(sims, query.length, candidates, offsets, codes, table.alphas());
  // Two tiers: the best `rescore` are read from the float16 disk tier (positional reads of their
  // blocks: measured ~10 ms for 128 documents × 64 tokens from the page cache, where decoding the
  // same rows' residuals in memory takes ~10× longer), so results are the float16 index's.
  return scoreSlots(table, query, bestSlots(candidates, approx, Math.max(rescore, options.k)), options.k);
}

/**
 * The `keep` slots of `slots` with the largest `scores`, in `slots` order; ties at the threshold
 * go to the lower slots (the candidates come in no particular order, and calibration breaks ties
 * the same way).
 */
function bestSlots(slots: Int32Array, scores: Float32Array, keep: number): Int32Array {
  if (slots.length <= keep) return slots;
  const threshold = nthLargest(scores.slice(), keep);
  const best: number[] = [];
  const tied: number[] = [];
  slots.forEach((s, i) => {
    if (scores[i]! > threshold) best.push(s);
    else if (scores[i] === threshold) tied.push(s);
  });
  tied.sort((a, b) => a - b);
  for (const s of tied) {
    if (best.length >= keep) break;
    best.push(s);
  }
  return Int32Array.from(best);
}

/**
 * Exact top-k of a two-tier table: every accepted slot's float16 rows read from the disk tier,
 * a block of documents at a time (memory stays one block), scored on the ONNX Runtime kernel.
 */
async function exactFromTier(
  table: SlotTable,
  queries: readonly TokenVectors[],
  k: number,
  accept: (slot: number) => boolean,
  signal: AbortSignal | undefined,
): Promise<SearchHit[][]> {
  const tops = queries.map(() => new TopK(k));
  const ids = table.slotIds;
  const slots = table.slots; // slots added while this runs are not scored
  let s = 0;
  while (s < slots) {
    const chunk: number[] = [];
    let tokens = 0;
    for (; s < slots && tokens < TIER_EXACT_TOKENS; s++) {
      if (!accept(s)) continue;
      chunk.push(s);
      tokens += table.offsets[s + 1]! - table.offsets[s]!;
    }
    if (chunk.length === 0) continue;
    const flat = await table.tier!.gatherBits(Int32Array.from(chunk), table.offsets);
    for (let i = 0; i < queries.length; i += EXACT_GROUP) {
      const scores = await scoreFlatOrt(queries.slice(i, i + EXACT_GROUP), flat);
      scores.forEach((sc, q) => chunk.forEach((slot, x) => tops[i + q]!.push(ids[slot]!, sc[x]!)));
    }
    throwIfAborted(signal);
  }
  return tops.map((t, i) => withNormalizedScores(t.result(), queries[i]!.length));
}

/** Tokens read from the disk tier per block of exact search (16 MB of float16 at dim 128). */
const TIER_EXACT_TOKENS = 1 << 16;

/** Exact MaxSim of `slots`: from the disk tier when there is one, else the arena. */
export async function slotScores(table: SlotTable, query: TokenVectors, slots: Int32Array): Promise<Float32Array> {
  if (table.tier !== null && !ascending(slots)) {
    // In slot order a block's rows come from a few neighbouring tier files, each opened once a
    // query, where candidates in score order touched every file in every block.
    const order = Int32Array.from(slots.keys()).sort((a, b) => slots[a]! - slots[b]!);
    const sorted = await slotScores(
      table,
      query,
      Int32Array.from(order, (i) => slots[i]!),
    );
    const out = new Float32Array(slots.length);
    order.forEach((i, x) => (out[i] = sorted[x]!));
    return out;
  }
  // Wide rescoring (thousands of long documents) goes in blocks, so the gathered rows stay
  // bounded; the next blocks are gathered (read from the disk tier) while this one is scored.
  const blockTokens = table.tier !== null ? TIER_BLOCK_TOKENS : RESCORE_BLOCK_TOKENS;
  const blocks: [number, number][] = [];
  for (let from = 0; from < slots.length; ) {
    let to = from;
    let n = 0;
    while (to < slots.length && (to === from || n + table.offsets[slots[to]! + 1]! - table.offsets[slots[to]!]! <= blockTokens)) {
      n += table.offsets[slots[to]! + 1]! - table.offsets[slots[to]!]!;
      to++;
    }
    blocks.push([from, to]);
    from = to;
  }
  const out = new Float32Array(slots.length);
  const gatherAt = (b: number) => {
    const gathered = gatherBlock(table, slots.subarray(...blocks[b]!));
    // Awaited later; a read ahead that fails while an earlier block is scored must not reject unheard.
    gathered.catch(() => undefined);
    return gathered;
  };
  const ahead: Promise<Gathered>[] = [];
  const depth = table.tier !== null ? TIER_AHEAD : 1;
  for (let b = 0; b < Math.min(depth, blocks.length); b++) ahead.push(gatherAt(b));
  try {
    for (let b = 0; b < blocks.length; b++) {
      const current = await ahead.shift()!;
      if (b + depth < blocks.length) ahead.push(gatherAt(b + depth));
      try {
        out.set(await scoreGathered(query, current.flat, table.tier !== null), blocks[b]![0]);
      } finally {
        current.release();
      }
    }
  } finally {
    // A failed block leaves the blocks read ahead to give back their buffers once they settle.
    for (const next of ahead)
      void next.then(
        (g) => g.release(),
        () => undefined,
      );
  }
  return out;
}

function ascending(slots: Int32Array): boolean {
  for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[i - 1]!) return false;
  return true;
}

/** Tokens gathered for one rescoring block (64 MB of float32 rows at dim 128). */
const RESCORE_BLOCK_TOKENS = 1 << 17;
/**
 * Two tiers: blocks half that size, two read ahead. The first block's read is all the kernel
 * waits for, and two in flight keep the reader thread busy while the kernel scores (measured at
 * 100k documents: ~10% faster than one block of 2^17 read ahead).
 */
const TIER_BLOCK_TOKENS = 1 << 16;
const TIER_AHEAD = 2;

/** Rows of a block of slots, in a pooled buffer that `release` gives back. */
interface Gathered {
  flat: FlatTokens | TokenBlocks;
  release(): void;
}

async function gatherBlock(table: SlotTable, slots: Int32Array): Promise<Gathered> {
  let scratch: Float32Array | null = null;
  const take = (floats: number): Float32Array => (scratch = takeScratch(floats));
  const takeHalves = (halves: number): Uint16Array => {
    const buffer = take(Math.ceil(halves / 2));
    return new Uint16Array(buffer.buffer, buffer.byteOffset, halves);
  };
  const release = () => {
    // A buffer lost to a failed read on the reader thread stays detached: not worth keeping.
    if (scratch !== null && scratch.buffer.byteLength > 0) releaseScratch(scratch);
    scratch = null;
  };
  try {
    if (table.tier === null) return { flat: table.gatherForKernel(slots, take), release };
    const flat = await table.tier.gatherBits(slots, table.offsets, takeHalves);
    // The reader thread hands the lent buffer back as a new ArrayBuffer over the same memory.
    const lent = scratch as Float32Array | null; // set by takeHalves, which TypeScript does not see
    if (lent !== null && flat.buffer !== lent.buffer) scratch = new Float32Array(flat.buffer as ArrayBuffer);
    return { flat, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** `besideReads`: the disk tier's reader thread runs beside the kernel, so ORT should not spin. */
async function scoreGathered(query: TokenVectors, flat: FlatTokens | TokenBlocks, besideReads: boolean): Promise<Float32Array> {
  const total = flat.offsets[flat.offsets.length - 1]!;
  return total <= JS_KERNEL_TOKENS && "data" in flat ? scoreFlatJs(query, flat) : (await scoreFlatOrt([query], flat, { spinning: !besideReads }))[0]!;
}

/** Exact scores of `slots` (their rows decoded into one small buffer; two tiers: read from disk), top k. */
export async function scoreSlots(table: SlotTable, query: TokenVectors, slots: Int32Array, k: number): Promise<SearchHit[]> {
  if (slots.length === 0) return [];
  const scores = await slotScores(table, query, slots);
  const top = new TopK(k);
  const ids = table.slotIds;
  slots.forEach((s, i) => top.push(ids[s]!, scores[i]!));
  return withNormalizedScores(top.result(), query.length);
}

/** Exact scores of stored documents `ids`, best first, at most `k`; `NOT_FOUND` for an unknown id. */
export async function rerankIds(table: SlotTable, query: TokenVectors, ids: readonly string[], k: number | undefined): Promise<SearchHit[]> {
  idList("MaxSimIndex.rerank", ids);
  const unique = [...new Set(ids)];
  checkSearch(query, k ?? Math.max(1, unique.length), table.dim);
  const slots = unique.map((id) => {
    const slot = table.idToSlot.get(id);
    if (slot === undefined)
      throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Rerank only stored ids (check index.has(id)).`);
    return slot;
  });
  if (slots.length === 0) return [];
  return scoreSlots(table, query, Int32Array.from(slots), k ?? slots.length);
}
