/**
 * The surface the LangChain and LlamaIndex wrappers call, as interfaces, so a wrapper works on any
 * storage engine: core's own {@link Collection} (a directory on one machine) or another engine
 * such as `@maxsim/lancedb` (a LanceDB table on local disk or object storage). An engine is a pair
 * of builders with the shape of `Collection.create` / `Collection.open`; `Collection` itself is one.
 */
import type { Encoder } from "../encoder/types.js";
import type { CollectionOptions, OpenCollectionOptions } from "./collection.js";
import type { Filter } from "./filter.js";
import type { AddOptions, DocumentInput, ExplainedResult, Explanation, QueryOptions, QueryResult, StoredDocument } from "./types.js";

/**
 * A searchable set of documents: what a retriever needs from its storage. Scores are MaxSim
 * (the sum over query tokens of the best dot product), results best first, ties by id.
 */
export interface RetrievalCollection {
  /** The encoder documents and queries are encoded with. */
  readonly encoder: Encoder;
  /** Number of documents (as of the last write, query or refresh for engines read by many processes). */
  readonly size: number;
  addDocuments(docs: readonly DocumentInput[], options?: AddOptions): Promise<string[]>;
  upsertDocuments(docs: readonly DocumentInput[], options?: AddOptions): Promise<string[]>;
  deleteDocuments(ids: readonly string[]): Promise<number>;
  deleteWhere(filter: Filter): Promise<number>;
  getDocuments(ids: readonly string[]): Promise<(StoredDocument | undefined)[]>;
  query(text: string, options?: QueryOptions): Promise<QueryResult[]>;
  queryBatch(texts: readonly string[], options?: QueryOptions): Promise<QueryResult[][]>;
  explain(query: string, id: string): Promise<Explanation>;
  /**
   * {@link RetrievalCollection.queryBatch} with each hit's {@link Explanation}, each query
   * encoded once for its search and its hits' explanations, which describe the stored version
   * that was scored (the engine documents how consistent its reads are). Optional so engines
   * written before it still type-check; call it through {@link explainedQueryBatch}, which falls
   * back to `queryBatch` plus one `explain` per hit when an engine lacks it.
   */
  queryBatchExplained?(texts: readonly string[], options?: QueryOptions): Promise<ExplainedResult[][]>;
  /** Moves a reader to the newest committed version; `true` when it changed. */
  refresh(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A storage engine: builders of {@link RetrievalCollection}s at a location (a directory, a URI).
 * `Collection` (the class) is the default engine; wrappers' `fromDocuments` / `fromExistingIndex`
 * take another one through their `engine` option.
 *
 * @example
 * ```ts
 * import { Collection } from "@maxsim/core";
 * import type { CollectionEngine } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const engine: CollectionEngine = Collection; // core's own engine
 * const c = await engine.create(null, { model: (await ensureFixtures()).multilingual });
 * await c.addDocuments([{ id: "fr", text: "Le chat dort." }]);
 * console.log((await c.query("cat", { k: 1 }))[0]!.id); // fr
 * await c.close();
 * ```
 */
export interface CollectionEngine<C extends RetrievalCollection = RetrievalCollection> {
  /** Creates a collection at `location` (`null`: in memory, where the engine supports it). */
  create(location: string | null, options: CollectionOptions): Promise<C>;
  /** Opens the collection at `location`; `MODEL_MISMATCH` when `options.model` is not the stored model. */
  open(location: string, options?: OpenCollectionOptions): Promise<C>;
}

/**
 * Each query's `k` best documents with every hit's {@link Explanation}, through the engine's
 * `queryBatchExplained` (one encoding per query, explanations of the versions scored). An engine
 * without that method gets `queryBatch` plus one `explain` per hit, which encodes each query
 * again and may explain a version written after the search.
 *
 * @param collection - any engine's collection
 * @param texts - the queries
 * @param options - as the collection's `query`
 * @returns one result list per query, in input order
 * @throws as the collection's `queryBatch` and `explain`
 * @example
 * ```ts
 * import { Collection, explainedQueryBatch } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
 * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé." }, { id: "de", text: "Der Hund bellt laut." }]);
 * const [hits] = await explainedQueryBatch(c, ["cat"], { k: 1 });
 * const cat = hits![0]!.explanation.matches.find((m) => m.queryToken === "cat")!;
 * console.log(hits![0]!.id, cat.docToken, cat.span); // fr chat [3, 7]
 * await c.close();
 * ```
 */
export async function explainedQueryBatch(collection: RetrievalCollection, texts: readonly string[], options?: QueryOptions): Promise<ExplainedResult[][]> {
  if (collection.queryBatchExplained !== undefined) return collection.queryBatchExplained(texts, options);
  const results = await collection.queryBatch(texts, options);
  return Promise.all(results.map((hits, i) => Promise.all(hits.map(async (hit) => ({ ...hit, explanation: await collection.explain(texts[i]!, hit.id) })))));
}
