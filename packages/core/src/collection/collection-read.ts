/**
 * The read path of a collection: filtered queries (one or a batch, encoded together and scored in
 * one pinned snapshot, optionally explained in that snapshot from the same encodings), their
 * search plan, stored documents by id, and ids by filter.
 */
import { throwIfAborted } from "../errors.js";
import type { IndexSnapshot, SearchOptions, SearchPlan } from "../index/types.js";
import type { TokenEmbeddings } from "../types.js";
import { validate } from "../validation/parse.js";
import { queryOptionsSchema, queryTextSchema, queryTextsSchema } from "../validation/schemas.js";
import { type CollectionCore, checkIds, matchingIds, payloadOf, vectors } from "./collection-documents.js";
import { explainIn } from "./collection-explain.js";
import { compileFilter } from "./filter.js";
import type { Filter, FilterPredicate } from "./filter.js";
import type { ExplainedResult, QueryOptions, QueryResult, StoredDocument } from "./types.js";

/** The planner options of a query, passed to the index as given. */
function planOptions(options: QueryOptions): Pick<SearchOptions, "exact" | "targetRecall" | "latencyBudgetMs"> {
  return {
    ...(options.exact !== undefined ? { exact: options.exact } : {}),
    ...(options.targetRecall !== undefined ? { targetRecall: options.targetRecall } : {}),
    ...(options.latencyBudgetMs !== undefined ? { latencyBudgetMs: options.latencyBudgetMs } : {}),
  };
}

const QUERY_FIX = "Pass { k?: number ≥ 0, filter?, exact?: boolean, signal?: AbortSignal } or omit it.";

function checkQueryOptions(where: string, options: unknown): QueryOptions {
  return (
    (validate(queryOptionsSchema.optional(), options, { where, name: "options", code: "INVALID_OPTION", fix: QUERY_FIX }) as QueryOptions | undefined) ?? {}
  );
}

/** Ids of the documents whose metadata pass `filter`, in id order. */
export function findIds(core: CollectionCore, filter: Filter): string[] {
  // Synchronous, so it reads one snapshot (a refresh swap cannot land in the middle).
  return matchingIds(core.index, compileFilter(filter));
}

/** The stored documents for `ids`, `undefined` for unknown ids. */
export function getDocuments(core: CollectionCore, ids: readonly string[]): (StoredDocument | undefined)[] {
  checkIds("Collection.getDocuments", ids);
  return ids.map((id) => {
    const p = payloadOf(core.index.getPayload(id));
    return p ? { id, text: p.text, metadata: p.metadata } : undefined;
  });
}

/** One query's hits, filter ids and payloads from one snapshot. */
async function search(
  snapshot: IndexSnapshot,
  query: TokenEmbeddings,
  k: number,
  pass: FilterPredicate | undefined,
  options: QueryOptions,
): Promise<QueryResult[]> {
  const filter = pass === undefined ? undefined : new Set(matchingIds(snapshot, pass));
  if (k === 0 || snapshot.size === 0 || (filter !== undefined && filter.size === 0)) return [];
  const q = vectors(query);
  const { signal } = options;
  const hits =
    options.exact === true || (filter !== undefined && filter.size <= k)
      ? await snapshot.searchExact(q, { k, filter, signal })
      : await snapshot.search(q, { k, filter, signal, ...planOptions(options) });
  return hits.map((h) => {
    const p = payloadOf(snapshot.getPayload(h.id));
    return { id: h.id, score: h.score, normalizedScore: h.normalizedScore, text: p?.text ?? "", metadata: p?.metadata ?? {} };
  });
}

/** The plan a query for `text` runs, without searching. */
export async function explainSearch(core: CollectionCore, text: string, rawOptions: QueryOptions | undefined): Promise<SearchPlan> {
  const options = checkQueryOptions("Collection.explainSearch", rawOptions);
  const k = options.k ?? 10;
  const filter = options.filter === undefined ? undefined : new Set(matchingIds(core.index, compileFilter(options.filter)));
  const [q] = await core.encoder.encodeQueries([text], { signal: options.signal });
  return core.index.explainSearch(vectors(q!), { k: Math.max(1, k), filter, ...planOptions(options) });
}

/** The `k` best documents for `text`, best first. */
export async function query(core: CollectionCore, text: string, options: QueryOptions | undefined): Promise<QueryResult[]> {
  validate(queryTextSchema, text, { where: "Collection.query", name: "text", code: "INVALID_INPUT", fix: 'Pass the query as a string, e.g. query("cat").' });
  return (await searchTexts(core, "Collection.query", [text], options, (_snapshot, _q, hits) => hits))[0]!;
}

/** {@link query} for several queries, encoded in one batch. */
export async function queryBatch(core: CollectionCore, texts: readonly string[], options: QueryOptions | undefined): Promise<QueryResult[][]> {
  validate(queryTextsSchema, texts, {
    where: "Collection.queryBatch",
    name: "texts",
    code: "INVALID_INPUT",
    fix: 'Pass an array of strings, e.g. queryBatch(["cat", "dog"]).',
  });
  return searchTexts(core, "Collection.queryBatch", texts, options, (_snapshot, _q, hits) => hits);
}

/**
 * {@link queryBatch} with every hit's explanation. Each query text is encoded once, for its
 * search, and every hit is explained from that encoding in the snapshot it was found in: no
 * write or refresh lands between a hit's scoring and its explanation.
 */
export async function queryBatchExplained(core: CollectionCore, texts: readonly string[], options: QueryOptions | undefined): Promise<ExplainedResult[][]> {
  validate(queryTextsSchema, texts, {
    where: "Collection.queryBatchExplained",
    name: "texts",
    code: "INVALID_INPUT",
    fix: 'Pass an array of strings, e.g. queryBatchExplained(["cat", "dog"]).',
  });
  return searchTexts(core, "Collection.queryBatchExplained", texts, options, (snapshot, q, hits) =>
    Promise.all(hits.map(async (hit) => ({ ...hit, explanation: await explainIn(core, snapshot, q, hit.id) }))),
  );
}

/** What a search does with one query's hits, still inside the snapshot they were found in. */
type InSnapshot<R> = (snapshot: IndexSnapshot, query: TokenEmbeddings, hits: QueryResult[]) => R[] | Promise<R[]>;

async function searchTexts<R>(
  core: CollectionCore,
  where: string,
  texts: readonly string[],
  rawOptions: QueryOptions | undefined,
  finish: InSnapshot<R>,
): Promise<R[][]> {
  const options = checkQueryOptions(where, rawOptions);
  const k = options.k ?? 10;
  // Compiled (validated) before encoding, evaluated after it in the same snapshot as the search.
  const pass = options.filter === undefined ? undefined : compileFilter(options.filter);
  throwIfAborted(options.signal);
  if (texts.length === 0) return [];
  if (k === 0 || core.index.size === 0) return texts.map(() => []);
  const encoded = await core.encoder.encodeQueries([...texts], { signal: options.signal });
  // One snapshot for the filter ids, the hits and their payloads of every query of the call: a
  // refresh that lands while the queries were encoded (or while they are scored) waits.
  return core.index.pin(async (snapshot) => {
    const out: R[][] = [];
    for (const q of encoded) {
      throwIfAborted(options.signal);
      out.push(await finish(snapshot, q, await search(snapshot, q, k, pass, options)));
    }
    return out;
  });
}
