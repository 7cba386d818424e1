/** Public value types of the MaxSim index. */
import type { TokenVectors } from "../types.js";

/** One search result: best first, ties broken by id. */
export interface SearchHit {
  id: string;
  /** Raw MaxSim: Σ over query tokens of the best dot product with a document token. */
  score: number;
  /**
   * `score` divided by the number of query tokens: the mean best-match similarity, in [−1, 1]
   * for unit vectors, so one threshold means the same for every query length.
   */
  normalizedScore: number;
}

/**
 * Restricts a search to some ids: a predicate or a set. When few documents match (see
 * {@link SearchOptions.exactBelow}), the index scores exactly over the matching set, so the
 * result is the exact top-k among matching documents.
 */
export type IdFilter = ((id: string) => boolean) | ReadonlySet<string>;

/** Vector codecs of the index: exact, half precision, or PLAID residuals at 2 / 4 bits. */
export type IndexCodec = "float32" | "float16" | "residual-2" | "residual-4";

/** Options of {@link MaxSimIndex.searchExact}. */
export interface ExactSearchOptions {
  /** Number of hits. Must be ≥ 1; more than the index holds returns all. */
  k: number;
  filter?: IdFilter;
  signal?: AbortSignal;
}

/** PLAID settings: what approximate search probes, keeps and rescores. */
export interface PlaidSettings {
  /** Nearest centroids probed per query token. */
  nprobe: number;
  /** Candidates kept after pruned centroid scoring (from the inverted lists alone). */
  candidates: number;
  /** Of those, the best by full centroid interaction are scored exactly. */
  rescore: number;
}

/** Options of {@link MaxSimIndex.search}: the exact ones, the planner's, and PLAID tuning. */
export interface SearchOptions extends ExactSearchOptions {
  /**
   * `true` always scans exactly, `false` always searches approximately (an untrained index has
   * no centroids and is still scanned exactly). By default the planner chooses (see {@link SearchPlan}).
   */
  exact?: boolean;
  /**
   * Latency the planner lets an exact scan take before it searches approximately, from the exact
   * kernel's measured throughput on this machine. @defaultValue the index's `latencyBudgetMs` (10)
   */
  latencyBudgetMs?: number;
  /**
   * Recall@k vs exact this query asks for: the calibrated settings meeting it (exact when no
   * calibrated setting does). @defaultValue the index's `targetRecall` (0.97)
   */
  targetRecall?: number;
  /** Nearest centroids probed per query token. @defaultValue calibrated (8 without a calibration) */
  nprobe?: number;
  /** Candidates kept after pruned centroid scoring. @defaultValue calibrated (max(512, 32·k) without one) */
  candidates?: number;
  /** Of those, the best by full centroid interaction are scored exactly. @defaultValue calibrated (max(128, 8·k) without one) */
  rescore?: number;
  /**
   * Filtered searches score exactly over the matching documents when at most this many match
   * (or at most 1% of the index). @defaultValue 2000
   */
  exactBelow?: number;
}

/** Why the planner chose its plan. */
export type PlanReason =
  | "forced" // `exact: true` / `exact: false`
  | "untrained" // no centroids yet: only exact is possible
  | "within-budget" // the exact scan fits the latency budget
  | "filter" // a selective filter: exact over the matching documents
  | "k-covers-index" // k ≥ the documents searched
  | "target-unreachable" // no calibrated setting reaches the asked recall
  | "exact-cheaper" // the settings reaching it would cost as much as the exact scan
  | "over-budget"; // approximate, with the settings meeting the target

/** What a search runs: visible through {@link MaxSimIndex.explainSearch}. */
export interface SearchPlan {
  kind: "exact" | "approximate";
  reason: PlanReason;
  /** Live document tokens the search covers (the matching ones under a filter). */
  tokens: number;
  /** The exact scan's predicted latency from the measured kernel throughput. */
  estimatedExactMs: number;
  latencyBudgetMs: number;
  targetRecall: number;
  /** Approximate plans: the PLAID settings used. */
  settings?: PlaidSettings;
  /** Approximate plans: the recall@10 calibration measured for these settings (absent without calibration). */
  expectedRecall?: number;
}

/** One measured grid point of a calibration. */
export interface CalibrationPoint extends PlaidSettings {
  /** Recall@10 vs exact on the held-out pseudo-queries (the worse of the two query styles). */
  recall: number;
  /** Modelled relative cost (work units; the choice is the cheapest point meeting the target). */
  cost: number;
}

/** The result of calibrating PLAID settings on an index's own documents (`index.calibration`). */
export interface Calibration {
  /** The target it was chosen for (recall@10 vs exact). */
  targetRecall: number;
  /** The chosen settings and their measured recall. */
  settings: PlaidSettings;
  recall: number;
  /** Measured mean latency of the chosen settings per pseudo-query on this machine, ms. */
  latencyMs: number;
  /** Pseudo-queries measured, and their length in tokens. */
  queries: number;
  queryLength: number;
  /** Every grid point measured (for other targets), cheapest first. */
  grid: CalibrationPoint[];
  /** The exact scan's cost in the grid's work units: approximate settings costing as much are not used. */
  exactCost?: number;
  /** ISO time of the calibration. */
  calibratedAt: string;
  /** Live documents and tokens calibrated on. */
  documents: number;
  tokens: number;
}

/**
 * One snapshot of a {@link MaxSimIndex}, held for the duration of `index.pin(fn)`: no refresh,
 * write, compaction or retraining changes what it answers until `fn` settles (they wait), so
 * filter ids, scores and payloads of one read all come from the same state.
 */
export interface IndexSnapshot {
  /** Live documents. */
  readonly size: number;
  has(id: string): boolean;
  ids(): IterableIterator<string>;
  get(id: string): TokenVectors | undefined;
  getPayload(id: string): unknown;
  search(query: TokenVectors, options: SearchOptions): Promise<SearchHit[]>;
  searchExact(query: TokenVectors, options: ExactSearchOptions): Promise<SearchHit[]>;
  explain(query: TokenVectors, id: string): { queryIndex: number; docIndex: number; score: number }[];
}
