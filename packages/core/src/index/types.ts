/** Public value types of the MaxSim index. */
import type { TokenVectors } from "../types.js";

/** One search result: best first, ties broken by id. */
export interface SearchHit {
  id: string;
  score: number;
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

/** Options of {@link MaxSimIndex.search}: the exact ones plus PLAID tuning. */
export interface SearchOptions extends ExactSearchOptions {
  /** Nearest centroids probed per query token. @defaultValue 8 */
  nprobe?: number;
  /** Candidates kept after pruned centroid scoring (from the inverted lists alone). @defaultValue max(512, 32·k) */
  candidates?: number;
  /** Of those, the best by full centroid interaction are scored exactly. @defaultValue max(128, 8·k) */
  rescore?: number;
  /**
   * Filtered searches score exactly over the matching documents when at most this many match
   * (or at most 1% of the index). @defaultValue 2000
   */
  exactBelow?: number;
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
