/**
 * `Collection`: encoder + MaxSim index + document store + metadata filters + explanations, the
 * object the LangChain and LlamaIndex wrappers wrap. Vectors live in {@link MaxSimIndex}; each
 * document's text and metadata ride along as the index's per-document payload, so a document and
 * its vectors are committed (or lost) together. The model id and its configuration are stored
 * with the index, and opening it with another model is a typed `MODEL_MISMATCH` error, because
 * MaxSim scores between vectors of two different models are meaningless.
 *
 * Filters are evaluated on metadata first and the matching id set is handed to the index, which
 * scores small sets exactly: results are the exact top-k among matching documents even at 0.1%
 * selectivity (the approach Qdrant and LanceDB take for restrictive filters).
 */
import { MaxsimError } from "../errors.js";
import type { ColBERT } from "../encoder/colbert.js";
import type { TokenPooling } from "../encoder/token-pooling.js";
import type { Encoder } from "../encoder/types.js";
import type { MaxSimIndex } from "../index/maxsim-index.js";
import type { SearchPlan } from "../index/types.js";
import type { CollectionCore } from "./collection-documents.js";
import { explain, RecentQueries } from "./collection-explain.js";
import { type CollectionOptions, createCollection, type OpenCollectionOptions, type OpenedCollection, openCollection } from "./collection-open.js";
import { explainSearch, findIds, getDocuments, query, queryBatch, queryBatchExplained } from "./collection-read.js";
import { deleteDocuments, refuseDeleteAll, writeDocuments } from "./collection-write.js";
import type { Filter } from "./filter.js";
import type { RetrievalCollection } from "./retrieval-collection.js";
import type { AddOptions, DocumentInput, ExplainedResult, Explanation, QueryOptions, QueryResult, StoredDocument } from "./types.js";

export { COLLECTION_FORMAT_VERSION, META_KEY } from "./collection-meta.js";
export type { CollectionMeta } from "./collection-meta.js";
export type { CollectionOptions, OpenCollectionOptions } from "./collection-open.js";

/**
 * A searchable set of documents: encoder + index + document store.
 *
 * @example
 * ```ts
 * import { Collection } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { multilingual } = await ensureFixtures();
 * const c = await Collection.create(null, { model: multilingual });
 * await c.addDocuments([
 *   { id: "fr", text: "Le chat dort sur le canapé.", metadata: { lang: "fr" } },
 *   { id: "de", text: "Der Hund bellt laut.", metadata: { lang: "de" } },
 * ]);
 * console.log((await c.query("cat", { k: 1 }))[0]!.id); // "fr"
 * await c.close();
 * ```
 */
export class Collection implements RetrievalCollection {
  /** The encoder documents and queries are encoded with. */
  readonly encoder: Encoder;
  /** The directory, or `null` for an in-memory collection. */
  readonly dir: string | null;
  readonly #core: CollectionCore;
  readonly #ownsEncoder: boolean;
  readonly #recentQueries: RecentQueries;
  #closed = false;

  private constructor(dir: string | null, opened: OpenedCollection) {
    this.dir = dir;
    this.encoder = opened.encoder;
    this.#core = { index: opened.index, encoder: opened.encoder, pooling: opened.pooling };
    this.#ownsEncoder = opened.ownsEncoder;
    this.#recentQueries = new RecentQueries(opened.encoder);
  }

  /**
   * The document token pooling every add applies (`poolFactor` 1 = none), as the manifest records it.
   *
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual, poolFactor: 2 });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé du salon." }]);
   * console.log(c.pooling, c.index.get("fr")!.length < c.encoder.outputTokenIds("Le chat dort sur le canapé du salon.", "document").length); // { poolFactor: 2, protectedTokens: 1 } true
   * console.log((await c.query("cat", { k: 1 }))[0]!.id); // fr
   * await c.close();
   * ```
   */
  get pooling(): Required<TokenPooling> {
    return this.#core.pooling ?? { poolFactor: 1, protectedTokens: 1 };
  }

  /**
   * Creates a collection in `dir` (which must not hold an index yet), or in memory when `dir` is `null`.
   *
   * @param dir - directory of the new index, or `null`
   * @param options - `model` (id, directory or encoder), `modelOptions`, `codec`, `poolFactor`
   * @throws MaxsimError `INDEX_EXISTS` when `dir` already holds an index, `INVALID_OPTION` for a bad `poolFactor`, model loading codes
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * const ids = await c.addDocuments([{ id: "a", text: "Le chat dort." }, { text: "Il pleut." }]);
   * console.log(ids[0], ids[1]!.length, c.size); // a 36 2
   * await c.close();
   * ```
   */
  static async create(dir: string | null, options: CollectionOptions): Promise<Collection> {
    return new Collection(dir, await createCollection(dir, options));
  }

  /**
   * Opens the collection in `dir`, loading its stored model unless one is given.
   *
   * @param dir - the collection's directory
   * @param options - `model` to use (must be the stored one), `modelOptions`
   * @throws MaxsimError `INDEX_NOT_FOUND` for a directory without an index, `MODEL_MISMATCH` naming
   * both models when `model` is not the stored model, `INVALID_OPTION` for a bare MaxSimIndex, `INDEX_CORRUPT`,
   * `INDEX_VERSION`, `INDEX_LOCKED`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const dir = join(await mkdtemp(join(tmpdir(), "maxsim-")), "notes");
   * const created = await Collection.create(dir, { model: (await ensureFixtures()).multilingual });
   * await created.addDocuments([{ id: "a", text: "Der Hund bellt." }]);
   * await created.close();
   * const c = await Collection.open(dir); // loads the stored model
   * console.log(c.size, (await c.query("dog"))[0]!.id); // 1 a
   * await c.close();
   * ```
   */
  static async open(dir: string, options: OpenCollectionOptions = {}): Promise<Collection> {
    return new Collection(dir, await openCollection(dir, options));
  }

  /** Number of documents. */
  get size(): number {
    return this.#core.index.size;
  }

  /** The underlying vector index (for `info`, compaction and tuning). */
  get index(): MaxSimIndex {
    return this.#core.index;
  }

  /**
   * Moves a collection opened with `readOnly` to the newest committed snapshot (documents another
   * process or collection added, upserted or deleted since), see {@link MaxSimIndex.refresh}.
   * A writable collection is always current and returns `false`.
   *
   * @returns `true` when a newer snapshot was adopted
   * @throws MaxsimError `INDEX_STALE` (a busy writer outran several reloads: call again later), `INDEX_CLOSED`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const dir = join(await mkdtemp(join(tmpdir(), "maxsim-")), "notes");
   * const writer = await Collection.create(dir, { model: (await ensureFixtures()).multilingual });
   * await writer.addDocuments([{ id: "a", text: "Le chat dort.", metadata: { lang: "fr" } }]);
   * const reader = await Collection.open(dir, { readOnly: true, model: writer.encoder });
   * await writer.addDocuments([{ id: "b", text: "Der Hund bellt.", metadata: { lang: "de" } }]);
   * console.log(reader.size, await reader.refresh(), reader.size); // 1 true 2
   * console.log(reader.findIds({ lang: "de" })); // ["b"]
   * await reader.close();
   * await writer.close();
   * ```
   */
  async refresh(): Promise<boolean> {
    this.#check();
    return this.#core.index.refresh();
  }

  /** True when a document with this id is stored. */
  has(id: string): boolean {
    return this.#core.index.has(id);
  }

  /** Every stored id, in the index's order. */
  ids(): IterableIterator<string> {
    return this.#core.index.ids();
  }

  #check(): void {
    if (this.#closed) throw new MaxsimError("INDEX_CLOSED", "The collection is closed. Open it again with Collection.open.");
  }

  /**
   * Encodes and adds documents; ids are generated (random UUIDs) when absent. Each batch is one
   * atomic commit: after an abort or a crash, the documents of committed batches are stored.
   *
   * @param docs - `{ id?, text, metadata? }` each
   * @param options - `onProgress(done, total)`, `onBatch`, `signal`, `batchSize` (64)
   * @returns the ids, in input order
   * @throws MaxsimError `DUPLICATE_ID` when an id exists or repeats, `INVALID_INPUT`, `INVALID_ID`, `ABORTED`
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * const progress: string[] = [];
   * const ids = await c.addDocuments(
   *   [{ id: "fr", text: "Le chat dort.", metadata: { lang: "fr" } }, { id: "de", text: "Der Hund bellt." }, { text: "Il pleut." }],
   *   { batchSize: 2, onProgress: (done, total) => progress.push(`${done}/${total}`) },
   * );
   * console.log(ids.slice(0, 2), progress, c.size); // [ 'fr', 'de' ] [ '2/3', '3/3' ] 3
   * await c.close();
   * ```
   */
  async addDocuments(docs: readonly DocumentInput[], options?: AddOptions): Promise<string[]> {
    this.#check();
    return writeDocuments(this.#core, docs, options, false);
  }

  /**
   * Adds documents, replacing any stored document with the same id (text, metadata and vectors).
   *
   * @returns the ids, in input order
   * @throws MaxsimError `DUPLICATE_ID` when an id repeats within the call, `INVALID_INPUT`, `ABORTED`
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "a", text: "Le chat dort." }]);
   * await c.upsertDocuments([{ id: "a", text: "Der Hund bellt.", metadata: { v: 2 } }, { id: "b", text: "Il pleut." }]);
   * const [a] = await c.getDocuments(["a"]);
   * console.log(c.size, a!.text, a!.metadata); // 2 Der Hund bellt. { v: 2 }
   * console.log((await c.query("dog", { k: 1 }))[0]!.id); // a
   * await c.close();
   * ```
   */
  async upsertDocuments(docs: readonly DocumentInput[], options?: AddOptions): Promise<string[]> {
    this.#check();
    return writeDocuments(this.#core, docs, options, true);
  }

  /**
   * Deletes documents by id; unknown ids are ignored.
   *
   * @returns how many documents were deleted
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "a", text: "Le chat dort." }, { id: "b", text: "Der Hund bellt." }]);
   * console.log(await c.deleteDocuments(["a", "unknown"]), [...c.ids()]); // 1 [ 'b' ]
   * await c.close();
   * ```
   */
  async deleteDocuments(ids: readonly string[]): Promise<number> {
    this.#check();
    return deleteDocuments(this.#core, ids);
  }

  /**
   * The ids of the documents whose metadata pass `filter`, in {@link Collection.ids} order. Only
   * the metadata is read (the same cached view filtered queries use), never the texts.
   *
   * @param filter - core's filter language or a predicate `(metadata, id) => boolean`
   * @throws MaxsimError `INVALID_FILTER` naming the bad operator
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([
   *   { id: "a#0", text: "Le chat dort.", metadata: { source: "a.md", tags: ["pets"] } },
   *   { id: "a#1", text: "Il pleut.", metadata: { source: "a.md" } },
   *   { id: "b#0", text: "Der Hund bellt.", metadata: { source: "b.md", tags: ["pets"] } },
   * ]);
   * console.log(c.findIds({ source: "a.md" }), c.findIds({ tags: { $contains: "pets" } })); // ["a#0", "a#1"] ["a#0", "b#0"]
   * await c.close();
   * ```
   */
  findIds(filter: Filter): string[] {
    this.#check();
    return findIds(this.#core, filter);
  }

  /**
   * Deletes every document whose metadata pass `filter` (e.g. all chunks of one source file), in
   * one index commit.
   *
   * @param filter - as {@link Collection.findIds}; an empty declarative filter `{}` is refused
   * @returns how many documents were deleted
   * @throws MaxsimError `INVALID_FILTER` for a malformed filter or `{}` (which would delete everything)
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([
   *   { id: "a#0", text: "Le chat dort.", metadata: { source: "a.md" } },
   *   { id: "a#1", text: "Il pleut.", metadata: { source: "a.md" } },
   *   { id: "b#0", text: "Der Hund bellt.", metadata: { source: "b.md" } },
   * ]);
   * console.log(await c.deleteWhere({ source: "a.md" }), [...c.ids()]); // 2 ["b#0"]
   * await c.close();
   * ```
   */
  async deleteWhere(filter: Filter): Promise<number> {
    refuseDeleteAll(filter);
    const ids = this.findIds(filter);
    return ids.length === 0 ? 0 : this.deleteDocuments(ids);
  }

  /**
   * The stored documents for `ids`, `undefined` for unknown ids.
   *
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort.", metadata: { lang: "fr" } }]);
   * console.log(await c.getDocuments(["fr", "nope"])); // [{ id: "fr", text: "Le chat dort.", metadata: { lang: "fr" } }, undefined]
   * await c.close();
   * ```
   */
  async getDocuments(ids: readonly string[]): Promise<(StoredDocument | undefined)[]> {
    this.#check();
    return getDocuments(this.#core, ids);
  }

  /**
   * The plan {@link Collection.query} runs for `text` (exact or approximate, why, the predicted
   * exact latency, the PLAID settings and their calibrated recall), without searching.
   *
   * @param options - as {@link Collection.query}
   * @throws as {@link Collection.query}
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort." }, { id: "de", text: "Der Hund bellt." }]);
   * const plan = await c.explainSearch("cat", { k: 1 });
   * console.log(plan.kind, plan.reason); // exact untrained
   * await c.close();
   * ```
   */
  async explainSearch(text: string, rawOptions?: QueryOptions): Promise<SearchPlan> {
    this.#check();
    return explainSearch(this.#core, text, rawOptions);
  }

  /**
   * The `k` best documents for `text`, best first (ties by id).
   *
   * @param text - the query
   * @param options - `k` (10), `filter`, `exact` (false), `signal`
   * @throws MaxsimError `INVALID_FILTER` naming the bad operator, `INVALID_OPTION` for a bad `k`, `ABORTED`
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([
   *   { id: "fr", text: "Le chien dort.", metadata: { lang: "fr" } },
   *   { id: "de", text: "Der Hund bellt laut.", metadata: { lang: "de" } },
   *   { id: "es", text: "El pan está en la mesa.", metadata: { lang: "es" } },
   * ]);
   * const hits = await c.query("dog", { k: 5, filter: { lang: { $in: ["de", "es"] } } });
   * console.log(hits.map((h) => [h.id, h.metadata.lang])); // [["de", "de"], ["es", "es"]]
   * await c.close();
   * ```
   */
  async query(text: string, options?: QueryOptions): Promise<QueryResult[]> {
    this.#check();
    return query(this.#core, text, options);
  }

  /**
   * {@link query} for several queries, encoded in one batch.
   *
   * @returns one result list per query, in input order
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé." }, { id: "de", text: "Der Hund bellt laut." }]);
   * const [cat, dog] = await c.queryBatch(["cat", "dog"], { k: 1 });
   * console.log(cat![0]!.id, dog![0]!.id); // fr de
   * await c.close();
   * ```
   */
  async queryBatch(texts: readonly string[], options?: QueryOptions): Promise<QueryResult[][]> {
    this.#check();
    return queryBatch(this.#core, texts, options);
  }

  /**
   * {@link queryBatch} with each hit's {@link Explanation} (as {@link explain} gives it). Each
   * query is encoded once and its hits are explained from that encoding in the snapshot they
   * were scored in, so an explanation always describes the version of the document that was
   * ranked (separate `explain` calls encode the query again and may see a later write).
   *
   * @param texts - the queries
   * @param options - as {@link Collection.query}
   * @returns one result list per query, in input order
   * @throws as {@link Collection.queryBatch}
   * @example
   * ```ts
   * import { Collection } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé." }, { id: "de", text: "Der Hund bellt laut." }]);
   * const [hits] = await c.queryBatchExplained(["cat"], { k: 1 });
   * const hit = hits![0]!;
   * const cat = hit.explanation.matches.find((m) => m.queryToken === "cat")!;
   * console.log(hit.id, cat.docToken, cat.span, Math.abs(hit.explanation.score - hit.score) < 1e-4); // fr chat [3, 7] true
   * await c.close();
   * ```
   */
  async queryBatchExplained(texts: readonly string[], options?: QueryOptions): Promise<ExplainedResult[][]> {
    this.#check();
    return queryBatchExplained(this.#core, texts, options);
  }

  /**
   * Which document token each query token matched, with its score and character span in the
   * document text, for highlighting (see {@link highlight}).
   *
   * @param query - the query text
   * @param id - a stored document id
   * @throws MaxsimError `NOT_FOUND` for an unknown id
   * @example
   * ```ts
   * import { Collection, highlight } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé." }]);
   * const e = await c.explain("cat", "fr");
   * const cat = e.matches.find((m) => m.queryToken === "cat")!;
   * console.log(cat.docToken, cat.span); // chat [3, 7]
   * console.log(highlight("Le chat dort sur le canapé.", [cat])); // Le «chat» dort sur le canapé.
   * await c.close();
   * ```
   */
  async explain(query: string, id: string): Promise<Explanation> {
    this.#check();
    return explain(this.#core, this.#recentQueries, query, id);
  }

  /** Closes the index (releasing its writer lock) and disposes the encoder when the collection loaded it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#core.index.close();
    if (this.#ownsEncoder) await (this.encoder as ColBERT).dispose();
  }
}
