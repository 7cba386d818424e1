/**
 * The search planner: exact scan or approximate (PLAID) search, per call, from a cost model of
 * this machine. The exact kernel's throughput is measured once per arena (at the first planned
 * search after open, training or refresh) on the arena's own rows, so the codec's decoding cost
 * is included; the scan of the live (or filter-matching) tokens is predicted from it and run
 * whenever it fits the latency budget. Above the budget the calibrated PLAID settings that meet
 * the recall target are used; no calibrated setting meeting it → exact (never a quietly worse
 * answer). `exact: true/false` forces either.
 */
import { scoreFlatOrt } from "../scoring/ort-kernel.js";
import type { TokenVectors } from "../types.js";
import type { SlotTable } from "./slot-table.js";
import type { TokenArena } from "./token-arena.js";
import type { Calibration, PlaidSettings, SearchOptions, SearchPlan } from "./types.js";

/** The default latency budget of an exact scan. */
export const DEFAULT_LATENCY_BUDGET_MS = 10;
/** The default recall@10 target of approximate search. */
export const DEFAULT_TARGET_RECALL = 0.97;
/**
 * Added to the target when choosing calibrated settings: the recall of 32 pseudo-queries × 10
 * hits has a sampling error of ≈ 0.01 near 0.97, and real queries are not the pseudo-queries.
 */
export const CALIBRATION_MARGIN = 0.01;
/** Settings without a calibration (indexes trained before calibration existed). */
export const LEGACY_SETTINGS: PlaidSettings = { nprobe: 8, candidates: 512, rescore: 128 };
/** Query length the throughput is measured and calibrated at (ColBERT's default). */
export const RATE_QUERY_TOKENS = 32;
const RATE_TOKENS = 1 << 15; // rows scanned to measure the kernel (a few ms)

const rates = new WeakMap<TokenArena, Promise<number>>();

/**
 * Exact-kernel throughput on `table`'s arena: document tokens per ms for a 32-token query.
 * Measured once per arena (the best of two timed scans after a warm-up).
 */
export function exactRate(table: SlotTable): Promise<number> {
  let rate = rates.get(table.arena);
  if (rate === undefined) {
    rate = measureRate(table);
    rates.set(table.arena, rate);
  }
  return rate;
}

async function measureRate(table: SlotTable): Promise<number> {
  let slots = 0;
  while (slots < table.slots && table.offsets[slots + 1]! <= RATE_TOKENS) slots++;
  slots = Math.max(1, slots);
  const tokens = table.offsets[slots]!;
  const dim = table.dim;
  if (tokens === 0) return Infinity;
  const arena = table.arena;
  const flat = { offsets: table.offsets.slice(0, slots + 1), dim, rows: (lo: number, hi: number, scratch: () => Float32Array) => arena.block(lo, hi, scratch) };
  const rows = Math.min(RATE_QUERY_TOKENS, tokens);
  const q = new Float32Array(RATE_QUERY_TOKENS * dim);
  arena.decode(0, rows, q);
  const query: TokenVectors = { data: q, length: RATE_QUERY_TOKENS, dim };
  await scoreFlatOrt([query], flat);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    await scoreFlatOrt([query], flat);
    best = Math.min(best, performance.now() - t0);
  }
  return tokens / Math.max(best, 1e-3);
}

/** The index-level defaults the planner reads. */
export interface PlannerDefaults {
  targetRecall: number;
  latencyBudgetMs: number;
  calibration: Calibration | null;
}

/**
 * The cheapest calibrated settings meeting `target` (recall@10, plus the calibration margin),
 * scaled for `k` above 10; `"unreachable"` when a calibration exists and none of its points meets
 * it, `"exact-cheaper"` when the point meeting it costs as much as the exact scan.
 */
export function settingsFor(
  calibration: Calibration | null,
  target: number,
  k: number,
): { settings: PlaidSettings; recall?: number } | "unreachable" | "exact-cheaper" {
  let base: PlaidSettings = LEGACY_SETTINGS;
  let recall: number | undefined;
  if (calibration !== null) {
    const goal = Math.min(1, target + CALIBRATION_MARGIN);
    const point = calibration.grid.filter((p) => p.recall >= goal).sort((a, b) => a.cost - b.cost)[0];
    if (point === undefined) return "unreachable";
    if (calibration.exactCost !== undefined && point.cost >= calibration.exactCost) return "exact-cheaper";
    base = { nprobe: point.nprobe, candidates: point.candidates, rescore: point.rescore };
    recall = point.recall;
  }
  const scale = Math.max(1, k / 10);
  return {
    settings: { nprobe: base.nprobe, candidates: Math.ceil(base.candidates * scale), rescore: Math.ceil(base.rescore * scale) },
    ...(recall !== undefined ? { recall } : {}),
  };
}

/**
 * Plans one search of `query` over `tokens` live tokens (the filter-matching ones under a
 * filter, `documents` of them). See the module comment.
 */
export async function planSearch(
  table: SlotTable,
  defaults: PlannerDefaults,
  query: TokenVectors,
  options: SearchOptions,
  tokens: number,
  documents: number,
): Promise<SearchPlan> {
  const targetRecall = options.targetRecall ?? defaults.targetRecall;
  const latencyBudgetMs = options.latencyBudgetMs ?? defaults.latencyBudgetMs;
  const rate = table.centroidIndex === null || options.exact === true ? Infinity : await exactRate(table);
  const estimatedExactMs = (tokens * (query.length / RATE_QUERY_TOKENS)) / rate;
  const base = { tokens, estimatedExactMs, latencyBudgetMs, targetRecall };
  if (options.exact === true) return { kind: "exact", reason: "forced", ...base };
  if (table.centroidIndex === null) return { kind: "exact", reason: "untrained", ...base };
  if (options.k >= documents) return { kind: "exact", reason: "k-covers-index", ...base };
  const chosen = settingsFor(defaults.calibration, targetRecall, options.k);
  const tuned = options.nprobe !== undefined || options.candidates !== undefined || options.rescore !== undefined;
  const approximate = (reason: SearchPlan["reason"]): SearchPlan => {
    // Forced or tuned without a usable calibrated point: the most thorough calibrated one, else the legacy settings.
    const fallback = (defaults.calibration?.grid ?? []).slice().sort((a, b) => b.recall - a.recall || a.cost - b.cost)[0];
    const s = typeof chosen === "object" ? chosen.settings : (fallback ?? LEGACY_SETTINGS);
    const settings = { nprobe: options.nprobe ?? s.nprobe, candidates: options.candidates ?? s.candidates, rescore: options.rescore ?? s.rescore };
    const recall = typeof chosen === "object" ? chosen.recall : fallback?.recall;
    return { kind: "approximate", reason, ...base, settings, ...(recall !== undefined && !tuned ? { expectedRecall: recall } : {}) };
  };
  if (options.exact === false) return approximate("forced");
  if (estimatedExactMs <= latencyBudgetMs) return { kind: "exact", reason: "within-budget", ...base };
  // Two tiers: an exact scan reads every float16 row from disk (16 GB per query at 1M documents),
  // so it is never the fallback; the most thorough calibrated setting runs instead, and the
  // plan says the target is out of reach and what recall was measured.
  if (typeof chosen === "string" && !tuned && table.tier !== null) return approximate("target-unreachable");
  if (typeof chosen === "string" && !tuned) return { kind: "exact", reason: chosen === "unreachable" ? "target-unreachable" : "exact-cheaper", ...base };
  return approximate("over-budget");
}
