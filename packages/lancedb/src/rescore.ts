/**
 * Candidates from LanceDB, final order from maxsim. LanceDB's multivector search ranks by
 * cosine MaxSim (distance = 1 − Σ max cosine) — exact when the table has no vector index, from
 * IVF-PQ codes when it has one; the candidates' stored vectors are then scored with core's exact
 * `maxsimScore` (dot products, the scores core's own index gives), so the top-k is the exact
 * top-k among the candidates, and equals core's exact search whenever the candidates contain it
 * (always without a vector index: cosine = dot on the encoder's unit vectors).
 */
import type { Table } from "@lancedb/lancedb";
import { maxsimScore } from "@maxsim/core";
import type { FilterPredicate, Metadata, QueryResult, TokenVectors } from "@maxsim/core";
import { cellToVectors } from "./table-schema.js";

/** Candidate tuning of a LanceDB search. */
export interface LanceSearchOptions {
  /**
   * How many candidates LanceDB returns for maxsim to rescore.
   * @defaultValue `max(64, 4 · k)`
   */
  candidates?: number;
  /** IVF partitions probed when the table has a vector index (LanceDB's default otherwise). */
  nprobes?: number;
  /** LanceDB's own refinement (re-ranks `refineFactor · candidates` by full vectors) with an index. */
  refineFactor?: number;
  /**
   * Skip LanceDB's vector index: a flat, exact multivector scan.
   * @defaultValue `false`
   */
  exact?: boolean;
  /** Aborts between steps with `ABORTED`. */
  signal?: AbortSignal;
}

interface Row {
  id: string;
  text: string | null;
  metadata: string | null;
  vectors: unknown;
}

/** Splits query token vectors into the per-token arrays LanceDB's multivector search takes. */
export function queryTokens(q: TokenVectors): Float32Array[] {
  const out: Float32Array[] = [];
  for (let t = 0; t < q.length; t++) out.push(q.data.slice(t * q.dim, (t + 1) * q.dim));
  return out;
}

/** Options of one rescored search: candidate tuning, `k`, the filter's SQL and its predicate. */
type RescoreOptions = LanceSearchOptions & { k: number; where?: string; pass?: FilterPredicate };

/** One query: LanceDB candidates (with `where`), rescored by exact MaxSim, re-checked by `pass`. */
export async function rescoreCandidates(table: Table, query: TokenVectors, options: RescoreOptions): Promise<QueryResult[]> {
  return (await rescoreWithVectors(table, query, options)).map((h) => h.hit);
}

/**
 * {@link rescoreCandidates} with each hit's stored vectors, as read by the one LanceDB search
 * that scored it (so an explanation from them describes the ranked version of the row).
 */
export async function rescoreWithVectors(table: Table, query: TokenVectors, options: RescoreOptions): Promise<{ hit: QueryResult; vectors: TokenVectors }[]> {
  const { k } = options;
  const search = table
    .vectorSearch(queryTokens(query))
    .distanceType("cosine")
    .select(["id", "text", "metadata", "vectors", "_distance"])
    .limit(options.candidates ?? Math.max(64, 4 * k));
  if (options.where !== undefined) search.where(options.where);
  if (options.exact) search.bypassVectorIndex();
  if (options.nprobes !== undefined) search.nprobes(options.nprobes);
  if (options.refineFactor !== undefined) search.refineFactor(options.refineFactor);
  const rows = (await search.toArray()) as Row[];
  const scored: { hit: QueryResult; vectors: TokenVectors }[] = [];
  for (const r of rows) {
    const metadata = JSON.parse(r.metadata ?? "{}") as Metadata;
    if (options.pass && !options.pass(metadata, r.id)) continue;
    const vectors = cellToVectors(r.vectors, query.dim);
    const score = maxsimScore(query, vectors);
    scored.push({ hit: { id: r.id, score, normalizedScore: score / Math.max(1, query.length), text: r.text ?? "", metadata }, vectors });
  }
  scored.sort(({ hit: a }, { hit: b }) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.slice(0, k);
}
