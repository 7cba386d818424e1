/**
 * `MaxSimRetriever`: a LangChain.js `BaseRetriever` over a maxsim {@link Collection}, so a chain
 * that used a vector-store retriever gets late-interaction (ColBERT / MaxSim) retrieval by
 * changing one line.
 *
 * The wrapper is thin on purpose: the hook converts the query options, makes one
 * `Collection.query` call (`queryBatchExplained` with `explain`) and turns each hit into a new `Document`. Encoding, scoring, filtering
 * and storage all live in `@maxsim/core`, whose errors pass through unchanged.
 *
 * Shape (options interface, `lc_name`, static builders returning `new this(...)`) follows the
 * provider retrievers of langchainjs, e.g. `libs/providers/langchain-exa/src/retrievers.ts`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import { ensureConfig, type RunnableConfig } from "@langchain/core/runnables";
import { Collection, MaxsimError, explainedQueryBatch } from "@maxsim/core";
import { checkRetrieverFields, requireArray } from "@maxsim/core/validation";
import type {
  ColBERTOptions,
  CollectionEngine,
  DocumentInput,
  Encoder,
  Explanation,
  Filter,
  Metadata,
  QueryResult,
  RetrievalCollection,
  TokenMatch,
} from "@maxsim/core";

/** The `metadata` key under which every returned `Document` carries its MaxSim score (a number, higher is better). */
export const MAXSIM_SCORE_KEY = "maxsimScore";

/**
 * The `metadata` key of a returned `Document`'s normalised MaxSim score: the score divided by the
 * number of query tokens, in [−1, 1], so one threshold means the same for every query length.
 */
export const MAXSIM_NORMALIZED_SCORE_KEY = "maxsimNormalizedScore";

/**
 * The `metadata` key under which a returned `Document` carries its token matches (query token →
 * best document token, with `span` as character offsets into `pageContent`) when `explain` is on.
 */
export const MAXSIM_MATCHES_KEY = "maxsimMatches";

/** The `configurable` key read for per-call search options: `{ configurable: { maxsim: { k: 2 } } }`. */
export const MAXSIM_CONFIGURABLE_KEY = "maxsim";

/** Search options that can be set per instance and overridden per call (see {@link MaxSimRetriever}). */
export interface MaxSimSearchOptions {
  /**
   * How many documents to return.
   * @defaultValue 4 (LangChain's vector-store retriever default)
   */
  k?: number;
  /** A core metadata filter (`{ lang: "fr" }`, `{ year: { $gte: 2020 } }`, `$and`/`$or`) or a predicate `(metadata, id) => boolean`. */
  filter?: Filter;
  /**
   * `true` scores every (filtered) document exactly, `false` always searches approximately.
   * @defaultValue the index's planner chooses per query (exact while the scan fits its latency budget)
   */
  exact?: boolean;
  /**
   * Add the token matches of each hit under {@link MAXSIM_MATCHES_KEY}, explained in the search
   * call itself (the collection's `queryBatchExplained`: the query is encoded once and each hit is
   * explained as the version that was ranked).
   * @defaultValue false
   */
  explain?: boolean;
}

/** Options of the {@link MaxSimRetriever} constructor. */
export interface MaxSimRetrieverInput extends BaseRetrieverInput, MaxSimSearchOptions {
  /**
   * The collection to search: core's `Collection` or any other engine's (e.g. `@maxsim/lancedb`'s
   * `LanceCollection`). The retriever does not own it unless a builder created it (see {@link MaxSimRetriever.close}).
   */
  collection: RetrievalCollection;
}

/** Options of {@link MaxSimRetriever.fromDocuments} and {@link MaxSimRetriever.fromTexts}. */
export interface MaxSimRetrieverFromDocumentsOptions extends Omit<MaxSimRetrieverInput, "collection"> {
  /** A hub id (`"LiquidAI/LFM2-ColBERT-350M"`), a local model directory, or a loaded {@link Encoder}. */
  model: string | Encoder;
  /**
   * Where to persist the collection (a directory, or the engine's URI, e.g. `s3://bucket/docs` for
   * LanceDB); reopen it with {@link MaxSimRetriever.fromExistingIndex}.
   * @defaultValue in memory
   */
  directory?: string;
  /** Passed to the encoder when `model` is a string. */
  modelOptions?: ColBERTOptions;
  /**
   * The storage engine that creates the collection, e.g. `lanceEngine()` from `@maxsim/lancedb`.
   * @defaultValue core's `Collection` (a directory on this machine, or in memory)
   */
  engine?: CollectionEngine;
}

/** Options of {@link MaxSimRetriever.fromExistingIndex}. */
export interface MaxSimRetrieverFromExistingIndexOptions extends Omit<MaxSimRetrieverInput, "collection"> {
  /**
   * The encoder to use; it must be the model the index was built with.
   * @defaultValue the model recorded in the index
   */
  model?: string | Encoder;
  /** Passed to the encoder when it is loaded (`model` a string, or omitted). */
  modelOptions?: ColBERTOptions;
  /**
   * Open without the writer lock, to search while another process writes the collection
   * (`addDocuments`/`delete` then fail with core's `INDEX_READ_ONLY`).
   * @defaultValue false
   */
  readOnly?: boolean;
  /**
   * The storage engine that opens the collection, e.g. `lanceEngine()` from `@maxsim/lancedb`.
   * @defaultValue core's `Collection`
   */
  engine?: CollectionEngine;
}

/** Options of {@link MaxSimRetriever.addDocuments}. */
export interface MaxSimAddDocumentsOptions {
  /** Ids for the documents, in order; otherwise each `Document.id`, otherwise generated by the collection. */
  ids?: string[];
}

/**
 * The call config of the invocation in progress. `BaseRetriever.invoke` hands the hook only the
 * run manager, which carries neither the `AbortSignal` nor `configurable` (LangChain 1.4 copies
 * only primitive `configurable` values into tracing metadata), so {@link MaxSimRetriever.invoke}
 * stores the config here for the duration of the call. Async-local storage keeps concurrent
 * `batch` calls apart.
 */
const callConfig = new AsyncLocalStorage<RunnableConfig | undefined>();

/**
 * A LangChain.js retriever that ranks a maxsim collection by late-interaction MaxSim.
 *
 * Every returned `Document` is new (the stored text as `pageContent`, the stored metadata, the
 * document id as `id`) with its score in `metadata.maxsimScore` ({@link MAXSIM_SCORE_KEY}), the
 * normalised score in `metadata.maxsimNormalizedScore` ({@link MAXSIM_NORMALIZED_SCORE_KEY}) and,
 * with `explain`, its token matches in `metadata.maxsimMatches` ({@link MAXSIM_MATCHES_KEY}).
 *
 * Per-call options: pass {@link MaxSimSearchOptions} as `configurable.maxsim` in the call config,
 * e.g. `retriever.invoke(q, { configurable: { maxsim: { k: 2, filter: { lang: "fr" } } } })` or
 * `retriever.withConfig({ configurable: { maxsim: { exact: true } } })`; each field overrides the
 * instance's. `signal` in the call config aborts the search (core's `ABORTED` error).
 *
 * @example
 * ```ts
 * import { MaxSimRetriever } from "@maxsim/langchain";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { multilingual } = await ensureFixtures();
 * const retriever = await MaxSimRetriever.fromTexts(
 *   ["Le chat dort sur la table.", "Der Hund trinkt Wasser."],
 *   [{ lang: "fr" }, { lang: "de" }],
 *   { model: multilingual, k: 1 },
 * );
 * const [doc] = await retriever.invoke("the dog drinks water");
 * console.log(doc.pageContent); // "Der Hund trinkt Wasser."
 * console.log(doc.metadata.lang, typeof doc.metadata.maxsimScore); // de number
 * // per call: configurable.maxsim overrides the instance's k, filter, exact, explain
 * const both = await retriever.invoke("the dog drinks water", { configurable: { maxsim: { k: 2 } } });
 * console.log(both.map((d) => d.metadata.lang)); // [ "de", "fr" ]
 * await retriever.close();
 * ```
 */
export class MaxSimRetriever extends BaseRetriever {
  static override lc_name(): string {
    return "MaxSimRetriever";
  }

  override lc_namespace = ["maxsim", "retrievers"];

  /** The collection searched. */
  readonly collection: RetrievalCollection;

  k: number;

  filter: Filter | undefined;

  exact: boolean | undefined;

  explain: boolean;

  /**
   * @param fields - the collection, default search options and LangChain's `callbacks`, `tags`, `metadata`, `verbose`
   */
  constructor(fields: MaxSimRetrieverInput) {
    checkRetrieverFields("MaxSimRetriever", fields, "fromDocuments(docs, { model }) / fromTexts(texts, metadatas, { model }) / fromExistingIndex(directory)");
    super(fields);
    this.collection = fields.collection;
    this.k = fields.k ?? 4;
    this.filter = fields.filter;
    this.exact = fields.exact;
    this.explain = fields.explain ?? false;
  }

  /**
   * Indexes `docs` in a new collection (in memory, or persisted under `directory`) and returns a
   * retriever over it. Each document keeps its `id` when it has one.
   *
   * @param docs - LangChain documents; they are not modified
   * @param options - `model` (required), `directory`, `modelOptions`, search defaults and `BaseRetrieverInput`
   * @throws MaxsimError from core: `MODEL_NOT_FOUND`/`HUB_OFFLINE` (model), `INDEX_EXISTS` (directory), `DUPLICATE_ID`, `EMPTY_INPUT`
   * @example
   * ```ts
   * import { Document } from "@langchain/core/documents";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimRetriever } from "@maxsim/langchain";
   * const docs = [
   *   new Document({ pageContent: "Le chat dort.", metadata: { lang: "fr" }, id: "fr-1" }),
   *   new Document({ pageContent: "Der Hund trinkt Wasser.", metadata: { lang: "de" }, id: "de-1" }),
   * ];
   * const retriever = await MaxSimRetriever.fromDocuments(docs, { model: (await ensureFixtures()).multilingual, directory: "./my-index", k: 1 });
   * console.log((await retriever.invoke("the cat sleeps"))[0].id); // fr-1
   * await retriever.close();
   * ```
   */
  static async fromDocuments<T extends MaxSimRetriever>(
    this: new (
      fields: MaxSimRetrieverInput,
    ) => T,
    docs: DocumentInterface[],
    options: MaxSimRetrieverFromDocumentsOptions,
  ): Promise<T> {
    requireArray("MaxSimRetriever.fromDocuments", "docs", docs, '[new Document({ pageContent: "…" })]');
    const { model, directory, modelOptions, engine = Collection, ...fields } = options;
    const collection = await engine.create(directory ?? null, { model, modelOptions });
    try {
      await collection.addDocuments(toInputs(docs));
    } catch (error) {
      await collection.close();
      throw error;
    }
    return new this({ ...fields, collection });
  }

  /**
   * Like {@link MaxSimRetriever.fromDocuments} from plain texts; `metadatas` is one object per
   * text or one object shared by all (LangChain's `fromTexts` convention).
   *
   * @example
   * ```ts
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimRetriever } from "@maxsim/langchain";
   * const { multilingual } = await ensureFixtures();
   * const retriever = await MaxSimRetriever.fromTexts(["Le chat dort.", "Le chien dort."], { lang: "fr" }, { model: multilingual });
   * const docs = await retriever.invoke("the dog sleeps");
   * console.log(docs.map((d) => d.pageContent)); // [ "Le chien dort.", "Le chat dort." ]
   * await retriever.close();
   * ```
   */
  static async fromTexts<T extends MaxSimRetriever>(
    this: (new (fields: MaxSimRetrieverInput) => T) & Pick<typeof MaxSimRetriever, "fromDocuments">,
    texts: string[],
    metadatas: Metadata[] | Metadata,
    options: MaxSimRetrieverFromDocumentsOptions,
  ): Promise<T> {
    requireArray("MaxSimRetriever.fromTexts", "texts", texts, '["Le chat dort."]');
    const docs = texts.map((pageContent, i) => new Document({ pageContent, metadata: { ...(Array.isArray(metadatas) ? (metadatas[i] ?? {}) : metadatas) } }));
    return (await this.fromDocuments(docs, options)) as T;
  }

  /**
   * Opens a collection persisted earlier (by `fromDocuments(..., { directory })` or the `maxsim` CLI).
   *
   * @param directory - the collection directory
   * @param options - search defaults, `BaseRetrieverInput`, optionally the `model` to load
   * @throws MaxsimError from core: `INDEX_NOT_FOUND`, `INDEX_CORRUPT`, `INDEX_VERSION`, `MODEL_MISMATCH`,
   * `INDEX_LOCKED` (another process writes it; pass `readOnly: true` to search it anyway)
   * @example
   * ```ts
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimRetriever } from "@maxsim/langchain";
   * const built = await MaxSimRetriever.fromTexts(["Der Hund trinkt Wasser."], {}, { model: (await ensureFixtures()).multilingual, directory: "./reopened" });
   * await built.close();
   * // later, or in another process: the model recorded in the index is loaded
   * const retriever = await MaxSimRetriever.fromExistingIndex("./reopened", { k: 1 });
   * console.log((await retriever.invoke("the dog drinks"))[0].pageContent); // Der Hund trinkt Wasser.
   * await retriever.close();
   * ```
   */
  static async fromExistingIndex<T extends MaxSimRetriever>(
    this: new (
      fields: MaxSimRetrieverInput,
    ) => T,
    directory: string,
    options: MaxSimRetrieverFromExistingIndexOptions = {},
  ): Promise<T> {
    const { model, modelOptions, readOnly, engine = Collection, ...fields } = options;
    const collection = await engine.open(directory, { model, modelOptions, readOnly });
    return new this({ ...fields, collection });
  }

  /**
   * Adds documents to the collection (persisted at once when it has a directory).
   *
   * @param docs - LangChain documents; they are not modified
   * @param options - `ids`, one per document
   * @returns the ids of the added documents, in order
   * @throws MaxsimError `INVALID_INPUT` when `ids` and `docs` differ in length; from core: `DUPLICATE_ID`, `INVALID_ID`
   * @example
   * ```ts
   * import { Document } from "@langchain/core/documents";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimRetriever } from "@maxsim/langchain";
   * const retriever = await MaxSimRetriever.fromTexts(["Le chat dort."], {}, { model: (await ensureFixtures()).multilingual, k: 1 });
   * console.log(await retriever.addDocuments([new Document({ pageContent: "Der Hund schläft." })], { ids: ["de-9"] })); // [ "de-9" ]
   * console.log((await retriever.invoke("the dog sleeps"))[0].id); // de-9
   * await retriever.close();
   * ```
   */
  async addDocuments(docs: DocumentInterface[], options: MaxSimAddDocumentsOptions = {}): Promise<string[]> {
    const { ids } = options;
    requireArray("MaxSimRetriever.addDocuments", "docs", docs, '[new Document({ pageContent: "…" })]');
    if (ids !== undefined) requireArray("MaxSimRetriever.addDocuments", "options.ids", ids, '["id-1"]');
    if (ids !== undefined && ids.length !== docs.length) {
      throw new MaxsimError("INVALID_INPUT", `addDocuments got ${docs.length} documents but ${ids.length} ids. Pass one id per document, or none.`);
    }
    return this.collection.addDocuments(toInputs(docs, ids));
  }

  /**
   * Deletes documents by id.
   *
   * @returns how many documents were deleted (unknown ids are skipped)
   * @example
   * ```ts
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimRetriever } from "@maxsim/langchain";
   * const retriever = await MaxSimRetriever.fromTexts(["Le chat dort.", "Der Hund schläft."], {}, { model: (await ensureFixtures()).multilingual });
   * const [dog] = await retriever.invoke("the dog sleeps");
   * console.log(await retriever.delete({ ids: [dog.id, "no-such-id"] })); // 1
   * console.log(retriever.collection.size); // 1
   * await retriever.close();
   * ```
   */
  async delete(params: { ids: string[] }): Promise<number> {
    return this.collection.deleteDocuments(params.ids);
  }

  /** Closes the collection (releases its encoder session and index files). */
  async close(): Promise<void> {
    await this.collection.close();
  }

  /**
   * Runs the retriever through `BaseRetriever.invoke` (callbacks, tracing) with the call config
   * made visible to {@link MaxSimRetriever._getRelevantDocuments}: the host hook does not receive
   * it, and the `signal` and per-call options live there. `batch`, `stream`, `pipe`, `withConfig`
   * and sequences all call `invoke` with their config. The config is completed with LangChain's
   * `ensureConfig`, as `BaseRetriever.invoke` does, so a call made inside another runnable without
   * passing a config still gets that runnable's config, and `timeout` becomes a `signal`.
   */
  override invoke(input: string, options?: RunnableConfig): Promise<DocumentInterface[]> {
    const config = ensureConfig(options);
    return callConfig.run(config, () => super.invoke(input, config));
  }

  /** Searches the collection: per-call options from `configurable.maxsim` over the instance's. */
  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<DocumentInterface[]> {
    const config = callConfig.getStore();
    const perCall = (config?.configurable?.[MAXSIM_CONFIGURABLE_KEY] ?? {}) as MaxSimSearchOptions;
    const options = { k: perCall.k ?? this.k, filter: perCall.filter ?? this.filter, exact: perCall.exact ?? this.exact, signal: config?.signal };
    // Explained hits come from one search call that encodes the query once and explains the
    // versions it ranked (not one explain call per hit, which encodes again and reads later).
    const hits: (QueryResult & { explanation?: Explanation })[] =
      (perCall.explain ?? this.explain) ? (await explainedQueryBatch(this.collection, [query], options))[0]! : await this.collection.query(query, options);
    return hits.map((hit) => {
      const metadata: Metadata = { ...hit.metadata, [MAXSIM_SCORE_KEY]: hit.score, [MAXSIM_NORMALIZED_SCORE_KEY]: hit.normalizedScore };
      if (hit.explanation !== undefined) metadata[MAXSIM_MATCHES_KEY] = hit.explanation.matches satisfies TokenMatch[];
      return new Document({ pageContent: hit.text, metadata, id: hit.id });
    });
  }
}

/** LangChain documents → core inputs, copying metadata so later edits by the caller do not leak in. */
function toInputs(docs: DocumentInterface[], ids?: string[]): DocumentInput[] {
  requireArray("MaxSimRetriever", "docs", docs, '[new Document({ pageContent: "…" })]');
  return docs.map((doc, i) => {
    const id = ids?.[i] ?? doc.id;
    return { ...(id === undefined ? {} : { id }), text: doc.pageContent, metadata: { ...doc.metadata } };
  });
}
