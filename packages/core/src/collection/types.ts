/** Value types of {@link Collection}: documents in, results and explanations out. */
import type { Filter, Metadata } from "./filter.js";
import type { Span } from "./spans.js";

export type { Filter, Metadata, MetadataFilter, FieldOperators, FilterValue } from "./filter.js";
export type { Span } from "./spans.js";

/** A document to add: the id is generated (a random UUID) when absent. */
export interface DocumentInput {
  id?: string;
  text: string;
  metadata?: Metadata;
}

/** A document as stored. */
export interface StoredDocument {
  id: string;
  text: string;
  metadata: Metadata;
}

/** Options of {@link Collection.addDocuments} and {@link Collection.upsertDocuments}. */
export interface AddOptions {
  /** Called after each committed batch with documents done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Called after each committed batch with its ids and how many token vectors it stored. */
  onBatch?: (batch: { ids: string[]; tokens: number }) => void;
  /** Aborts between batches with `ABORTED`; batches already committed stay. */
  signal?: AbortSignal;
  /**
   * Documents encoded and committed together (each batch is one atomic index commit).
   * @defaultValue `64`
   */
  batchSize?: number;
}

/** Options of {@link Collection.query}. */
export interface QueryOptions {
  /**
   * Number of results.
   * @defaultValue `10`
   */
  k?: number;
  /** Only documents whose metadata (and id) pass this filter are returned. */
  filter?: Filter;
  /**
   * `true` scores every (matching) document exactly, `false` always uses the approximate index
   * search; by default the index's planner chooses per query (exact while the scan fits the
   * latency budget, see `MaxSimIndex.search`).
   * @defaultValue the planner's choice
   */
  exact?: boolean;
  /** Recall@k vs exact this query asks of approximate search. @defaultValue the index's (0.97) */
  targetRecall?: number;
  /** Latency an exact scan may take before the planner goes approximate. @defaultValue the index's (10 ms) */
  latencyBudgetMs?: number;
  /** Aborts with `ABORTED`. */
  signal?: AbortSignal;
}

/** One query result, best first. */
export interface QueryResult {
  id: string;
  /** MaxSim score: the sum over query tokens of the best dot product. */
  score: number;
  /**
   * `score` / number of query tokens (prefix and expansion tokens included): the mean best-match
   * similarity, in [−1, 1], so one threshold means the same for every query length.
   */
  normalizedScore: number;
  text: string;
  metadata: Metadata;
}

/**
 * A {@link QueryResult} with its {@link Explanation}, both from the same query encoding and the
 * same index snapshot: the explanation describes the version of the document that was scored.
 */
export interface ExplainedResult extends QueryResult {
  explanation: Explanation;
}

/** One query token's best match in the document. */
export interface TokenMatch {
  /** Row of the query token (prefix and expansion tokens included). */
  queryIndex: number;
  /** Readable query token (`"[Q]"`, `"cat"`, `"[MASK]"`, …). */
  queryToken: string;
  /** Row of the document token that wins this query token's max. */
  docIndex: number;
  /** Readable document token. */
  docToken: string;
  /** The dot product: this query token's share of the score. */
  score: number;
  /** Character offsets of the document token in the document text, `null` when not locatable. */
  span: Span | null;
}

/** Why a document scored what it did. */
export interface Explanation {
  id: string;
  /** The MaxSim score (the sum of the match scores). */
  score: number;
  matches: TokenMatch[];
}
