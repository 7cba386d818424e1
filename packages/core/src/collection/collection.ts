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
import { MaxsimError, throwIfAborted } from "../errors.js";
import { ColBERT } from "../encoder/colbert.js";
import { checkPooling, poolTokens, type TokenPooling } from "../encoder/token-pooling.js";
import type { ColBERTOptions, Encoder } from "../encoder/types.js";
import { MaxSimIndex } from "../index/maxsim-index.js";
import type { MaxSimIndexOptions } from "../index/maxsim-index.js";
import type { IndexCodec, IndexSnapshot, SearchOptions, SearchPlan } from "../index/types.js";
import { maxsimExplain } from "../scoring/maxsim.js";
import type { TokenEmbeddings, TokenVectors } from "../types.js";
import { z } from "zod";
import { compileFilter } from "./filter.js";
import type { Filter, FilterPredicate, Metadata } from "./filter.js";
import { alignTokens } from "./spans.js";
import { prepareDocuments, type PreparedDocument } from "./prepare.js";
import { validate } from "../validation/parse.js";
import {
  collectionOptionsSchema,
  dirSchema,
  idsSchema,
  openCollectionOptionsSchema,
  queryOptionsSchema,
  queryTextSchema,
  queryTextsSchema,
} from "../validation/schemas.js";
import type { AddOptions, DocumentInput, Explanation, QueryOptions, QueryResult, StoredDocument } from "./types.js";
import type { RetrievalCollection } from "./retrieval-collection.js";

/**
 * Version of the collection metadata stored in the index manifest (`maxsim info` prints it).
 *
 * @example
 * ```ts
 * import { COLLECTION_FORMAT_VERSION } from "@maxsim/core";
 * console.log(COLLECTION_FORMAT_VERSION); // 1
 * ```
 */
export const COLLECTION_FORMAT_VERSION = 1;

/** Highest collection format this version reads (2 = pooled document tokens). */
const COLLECTION_FORMAT_READ = 2;

/**
 * Key of the collection's entry in the index manifest's owner metadata.
 *
 * @example
 * ```ts
 * import { Collection, META_KEY } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
 * console.log(META_KEY, (c.index.meta[META_KEY] as { collectionFormat: number }).collectionFormat); // collection 1
 * await c.close();
 * ```
 */
export const META_KEY = "collection";

/** What a collection stores about its model (in the index manifest, under {@link META_KEY}). */
export interface CollectionMeta {
  collectionFormat: number;
  model: { id: string; dim: number; info: unknown };
  /** Document token pooling (absent = none; collection format 2). */
  pooling?: Required<TokenPooling>;
}

/** Collection format of a collection that pools document tokens (older readers refuse it rather than add unpooled documents). */
const POOLED_COLLECTION_FORMAT = 2;

/** Options of {@link Collection.create}. */
export interface CollectionOptions {
  /** A model id or directory (loaded with `ColBERT.fromPretrained`) or a loaded {@link Encoder}. */
  model: string | Encoder;
  /** Options for loading `model` when it is a string. */
  modelOptions?: ColBERTOptions;
  /** Vector codec of the index. @defaultValue the index's default (`"float32"`) */
  codec?: IndexCodec;
  /**
   * Index tuning passed to {@link MaxSimIndex.create} (training threshold, centroids, seed,
   * `autoRetrain`, `diskTier`: with `{ codec: "residual-2", indexOptions: { diskTier: "float16" } }`
   * memory holds the residual codes and float16 rows stay on disk for exact rescoring). By default an `addDocuments`/`upsertDocuments` call that doubles the tokens
   * the centroids were trained on retrains them once, after its last batch, so recall holds as the
   * collection grows; pass `{ autoRetrain: false }` to retrain only on `collection.index.compact()`.
   */
  indexOptions?: Omit<MaxSimIndexOptions, "dim" | "codec" | "meta">;
  /**
   * Pool each document's token vectors (PyLate's hierarchical pooling, see `poolTokens`): about
   * one stored vector per `poolFactor` tokens, the first token kept. Factor 2 about halves the
   * index; queries are not pooled. Recorded in the manifest, so every later add (after
   * `Collection.open` too) pools the same way. Explanations of a pooled collection score the
   * unpooled tokens of the document (a pooled row stands for several tokens).
   * @defaultValue 1 (no pooling)
   */
  poolFactor?: number;
}

/** Options of {@link Collection.open}. */
export interface OpenCollectionOptions {
  /**
   * The model: omitted, the stored model id is loaded; given, it must be the stored model.
   */
  model?: string | Encoder;
  /** Options for loading the model when it is a string or omitted. */
  modelOptions?: ColBERTOptions;
  /**
   * Open without the writer lock (searching while another process writes); writes then fail.
   * @defaultValue `false`
   */
  readOnly?: boolean;
}

interface Payload {
  text: string;
  metadata: Metadata;
}

function isPayload(v: unknown): v is Payload {
  return typeof v === "object" && v !== null && typeof (v as Payload).text === "string";
}

function payloadOf(p: unknown): Payload | undefined {
  return isPayload(p) ? { text: p.text, metadata: p.metadata ?? {} } : undefined;
}

function notFound(id: string): MaxsimError {
  return new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)}. Check the id (ids are case-sensitive).`);
}

/** What a collection's payloads must be; a load refuses others (`IndexCorruptError`). */
function payloadProblem(p: unknown): string | undefined {
  if (typeof p !== "object" || p === null || Array.isArray(p)) return "it is not an object { text, metadata }";
  const { text, metadata } = p as Partial<Payload>;
  if (typeof text !== "string") return "its text is not a string";
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) return "its metadata is not an object";
  return undefined;
}

function vectors(e: TokenEmbeddings): TokenVectors {
  return { data: e.data, length: e.length, dim: e.dim };
}

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

function checkIds(where: string, ids: unknown): readonly string[] {
  return validate(idsSchema, ids, {
    where,
    name: "ids",
    code: "INVALID_INPUT",
    fix: 'Pass an array of ids such as ["a", "b"] (a single id goes in an array too).',
  });
}

async function loadEncoder(model: string | Encoder, options: ColBERTOptions | undefined): Promise<{ encoder: Encoder; owned: boolean }> {
  if (typeof model !== "string") return { encoder: model, owned: false };
  return { encoder: await ColBERT.fromPretrained(model, options), owned: true };
}

function metaOf(encoder: Encoder, poolFactor: number): CollectionMeta {
  const model = { id: encoder.modelId, dim: encoder.dim, info: JSON.parse(JSON.stringify(encoder.info)) as unknown };
  if (poolFactor === 1) return { collectionFormat: COLLECTION_FORMAT_VERSION, model };
  return { collectionFormat: POOLED_COLLECTION_FORMAT, model, pooling: { poolFactor, protectedTokens: 1 } };
}

function readMeta(raw: unknown, dir: string): CollectionMeta {
  const m = raw as Partial<CollectionMeta> | undefined;
  if (!m || typeof m.model?.id !== "string" || typeof m.model.dim !== "number") {
    throw new MaxsimError(
      "INVALID_OPTION",
      `${dir} is a MaxSim index but not a collection (its manifest names no model). Open it with MaxSimIndex.open, or create a collection with Collection.create / \`maxsim index\`.`,
    );
  }
  if (typeof m.collectionFormat === "number" && m.collectionFormat > COLLECTION_FORMAT_READ) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `${dir} was written by a newer maxsim (collection format ${m.collectionFormat}, this one reads ≤ ${COLLECTION_FORMAT_READ}). Upgrade @maxsim/core.`,
    );
  }
  if (m.pooling !== undefined) {
    try {
      checkPooling(m.pooling.poolFactor, m.pooling.protectedTokens);
    } catch (cause) {
      throw new MaxsimError(
        "INDEX_CORRUPT",
        `The manifest of the collection in ${dir} records invalid token pooling ${JSON.stringify(m.pooling)}. Restore the directory from a backup or rebuild the collection.`,
        { cause },
      );
    }
  }
  return m as CollectionMeta;
}

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
  readonly #index: MaxSimIndex;
  readonly #ownsEncoder: boolean;
  readonly #pooling: Required<TokenPooling> | null;
  readonly #recentQueries = new Map<string, Promise<TokenEmbeddings>>();
  #closed = false;

  private constructor(dir: string | null, index: MaxSimIndex, encoder: Encoder, ownsEncoder: boolean, pooling: Required<TokenPooling> | undefined) {
    this.dir = dir;
    this.#index = index;
    this.encoder = encoder;
    this.#ownsEncoder = ownsEncoder;
    this.#pooling = pooling ?? null;
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
    return this.#pooling ?? { poolFactor: 1, protectedTokens: 1 };
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
    if (dir !== null) {
      validate(dirSchema, dir, {
        where: "Collection.create",
        name: "dir",
        code: "INVALID_INPUT",
        fix: "Pass a directory path, or null for an in-memory collection.",
      });
    }
    validate(collectionOptionsSchema, options, {
      where: "Collection.create",
      name: "options",
      code: "INVALID_OPTION",
      fix: 'Pass { model: "<hub id or directory>" | encoder, codec?, modelOptions?, indexOptions?, poolFactor? }.',
    });
    checkPooling(options.poolFactor ?? 1, 1);
    const { encoder, owned } = await loadEncoder(options.model, options.modelOptions);
    try {
      const collectionMeta = metaOf(encoder, options.poolFactor ?? 1);
      const meta = { [META_KEY]: collectionMeta };
      const index =
        dir === null
          ? MaxSimIndex.inMemory({ ...options.indexOptions, dim: encoder.dim, codec: options.codec, meta })
          : await MaxSimIndex.create(dir, { ...options.indexOptions, dim: encoder.dim, codec: options.codec, meta });
      return new Collection(dir, index, encoder, owned, collectionMeta.pooling);
    } catch (error) {
      if (owned) await (encoder as ColBERT).dispose();
      throw error;
    }
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
    validate(dirSchema, dir, { where: "Collection.open", name: "dir", code: "INVALID_INPUT", fix: "Pass the collection's directory." });
    validate(openCollectionOptionsSchema, options, {
      where: "Collection.open",
      name: "options",
      code: "INVALID_OPTION",
      fix: "Pass { model?, modelOptions?, readOnly? } or omit it.",
    });
    let index: MaxSimIndex;
    try {
      index = await MaxSimIndex.open(dir, { readOnly: options.readOnly ?? false, checkPayload: payloadProblem });
    } catch (error) {
      if (MaxsimError.isInstance(error) && error.code === "INDEX_NOT_FOUND") {
        throw new MaxsimError(
          "INDEX_NOT_FOUND",
          `No collection in ${dir}. Check the path, or create one with \`maxsim index ${dir} --model <id|dir> <files>\` or Collection.create.`,
          { cause: error },
        );
      }
      throw error;
    }
    let loaded: { encoder: Encoder; owned: boolean } | undefined;
    try {
      const meta = readMeta(index.meta[META_KEY], dir);
      loaded = await loadEncoder(options.model ?? meta.model.id, options.modelOptions);
      const { encoder } = loaded;
      if (encoder.modelId !== meta.model.id || encoder.dim !== meta.model.dim) {
        throw new MaxsimError(
          "MODEL_MISMATCH",
          `The collection in ${dir} was built with model ${meta.model.id} (dim ${meta.model.dim}) but was opened with ${encoder.modelId} (dim ${encoder.dim}). Open it without a model (or with ${meta.model.id}), or build a new collection for the other model.`,
        );
      }
      return new Collection(dir, index, encoder, loaded.owned, meta.pooling);
    } catch (error) {
      if (loaded?.owned) await (loaded.encoder as ColBERT).dispose();
      await index.close();
      throw error;
    }
  }

  /** Number of documents. */
  get size(): number {
    return this.#index.size;
  }

  /** The underlying vector index (for `info`, compaction and tuning). */
  get index(): MaxSimIndex {
    return this.#index;
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
    return this.#index.refresh();
  }

  /** True when a document with this id is stored. */
  has(id: string): boolean {
    return this.#index.has(id);
  }

  /** Every stored id, in the index's order. */
  ids(): IterableIterator<string> {
    return this.#index.ids();
  }

  #check(): void {
    if (this.#closed) throw new MaxsimError("INDEX_CLOSED", "The collection is closed. Open it again with Collection.open.");
  }

  #payload(id: string): Payload | undefined {
    return payloadOf(this.#index.getPayload(id));
  }

  async #write(docs: readonly DocumentInput[], rawOptions: AddOptions | undefined, upsert: boolean): Promise<string[]> {
    this.#check();
    const where = upsert ? "Collection.upsertDocuments" : "Collection.addDocuments";
    const { docs: prepared, options } = prepareDocuments(where, docs, rawOptions, upsert, (id) => this.#index.has(id));
    throwIfAborted(options.signal);
    const batchSize = options.batchSize ?? 64;
    // One bulk load per call: centroid training waits for the last batch (see MaxSimIndex.bulk).
    return this.#index.bulk(() => this.#writeBatches(prepared, batchSize, options, upsert));
  }

  async #writeBatches(prepared: PreparedDocument[], batchSize: number, options: AddOptions, upsert: boolean): Promise<string[]> {
    let done = 0;
    for (let start = 0; start < prepared.length; start += batchSize) {
      throwIfAborted(options.signal);
      const batch = prepared.slice(start, start + batchSize);
      const encoded = await this.encoder.encodeDocuments(
        batch.map((d) => d.text),
        { signal: options.signal },
      );
      // Pooled here rather than by the encoder, so any Encoder implementation pools alike.
      const pooling = this.#pooling;
      const embeddings = pooling === null ? encoded : encoded.map((e) => poolTokens(e, pooling.poolFactor, pooling.protectedTokens));
      throwIfAborted(options.signal);
      const items = batch.map((d, i) => ({ id: d.id, embeddings: vectors(embeddings[i]!), payload: { text: d.text, metadata: d.metadata } satisfies Payload }));
      if (upsert) await this.#index.upsert(items);
      else await this.#index.add(items);
      done += batch.length;
      let tokens = 0;
      for (const e of embeddings) tokens += e.length;
      options.onBatch?.({ ids: batch.map((d) => d.id), tokens });
      options.onProgress?.(done, prepared.length);
    }
    return prepared.map((d) => d.id);
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
    return this.#write(docs, options, false);
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
    return this.#write(docs, options, true);
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
    checkIds("Collection.deleteDocuments", ids);
    const n = await this.#index.delete([...ids]);
    return n;
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
    // Synchronous, so it reads one snapshot (a refresh swap cannot land in the middle).
    return this.#matchingIds(this.#index, compileFilter(filter));
  }

  /** Ids of `source`'s documents whose metadata pass `pass`, in id order. */
  #matchingIds(source: Pick<IndexSnapshot, "ids" | "getPayload">, pass: FilterPredicate): string[] {
    const out: string[] = [];
    for (const id of source.ids()) if (pass(payloadOf(source.getPayload(id))?.metadata ?? {}, id)) out.push(id);
    return out;
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
    if (typeof filter !== "function" && typeof filter === "object" && filter !== null && Object.values(filter).every((v) => v === undefined)) {
      throw new MaxsimError(
        "INVALID_FILTER",
        "deleteWhere({}) would delete every document. Pass a filter that names a field, or delete all explicitly with deleteDocuments([...collection.ids()]).",
      );
    }
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
    checkIds("Collection.getDocuments", ids);
    return ids.map((id) => {
      const p = this.#payload(id);
      return p ? { id, text: p.text, metadata: p.metadata } : undefined;
    });
  }

  /** One query's hits, filter ids and payloads from one snapshot. */
  async #search(snapshot: IndexSnapshot, query: TokenEmbeddings, k: number, pass: FilterPredicate | undefined, options: QueryOptions): Promise<QueryResult[]> {
    const filter = pass === undefined ? undefined : new Set(this.#matchingIds(snapshot, pass));
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
    const options = checkQueryOptions("Collection.explainSearch", rawOptions);
    const k = options.k ?? 10;
    const filter = options.filter === undefined ? undefined : new Set(this.#matchingIds(this.#index, compileFilter(options.filter)));
    const [q] = await this.encoder.encodeQueries([text], { signal: options.signal });
    return this.#index.explainSearch(vectors(q!), { k: Math.max(1, k), filter, ...planOptions(options) });
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
    validate(queryTextSchema, text, { where: "Collection.query", name: "text", code: "INVALID_INPUT", fix: 'Pass the query as a string, e.g. query("cat").' });
    return (await this.#queryBatch("Collection.query", [text], options))[0]!;
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
    validate(queryTextsSchema, texts, {
      where: "Collection.queryBatch",
      name: "texts",
      code: "INVALID_INPUT",
      fix: 'Pass an array of strings, e.g. queryBatch(["cat", "dog"]).',
    });
    return this.#queryBatch("Collection.queryBatch", texts, options);
  }

  async #queryBatch(where: string, texts: readonly string[], rawOptions: QueryOptions | undefined): Promise<QueryResult[][]> {
    const options = checkQueryOptions(where, rawOptions);
    const k = options.k ?? 10;
    // Compiled (validated) before encoding, evaluated after it in the same snapshot as the search.
    const pass = options.filter === undefined ? undefined : compileFilter(options.filter);
    throwIfAborted(options.signal);
    if (texts.length === 0) return [];
    if (k === 0 || this.#index.size === 0) return texts.map(() => []);
    const encoded = await this.encoder.encodeQueries([...texts], { signal: options.signal });
    // One snapshot for the filter ids, the hits and their payloads of every query of the call: a
    // refresh that lands while the queries were encoded (or while they are scored) waits.
    return this.#index.pin(async (snapshot) => {
      const out: QueryResult[][] = [];
      for (const q of encoded) {
        throwIfAborted(options.signal);
        out.push(await this.#search(snapshot, q, k, pass, options));
      }
      return out;
    });
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
    validate(queryTextSchema, query, {
      where: "Collection.explain",
      name: "query",
      code: "INVALID_INPUT",
      fix: 'Pass the query text and a stored id, e.g. explain("cat", "doc-1").',
    });
    validate(z.string({ error: "must be a document id (a string)" }), id, {
      where: "Collection.explain",
      name: "id",
      code: "INVALID_INPUT",
      fix: 'Pass the query text and a stored id, e.g. explain("cat", "doc-1").',
    });
    if (!this.#payload(id)) throw notFound(id);
    const q = await this.#explainQuery(query);
    // The payload, the stored rows and the match scores from one snapshot (after the encoding).
    return this.#index.pin((snapshot) => this.#explainIn(snapshot, q, id));
  }

  async #explainIn(snapshot: IndexSnapshot, q: TokenEmbeddings, id: string): Promise<Explanation> {
    const p = payloadOf(snapshot.getPayload(id));
    if (!p) throw notFound(id);
    // Scores come from the stored vectors (so they equal query() scores, whatever the codec);
    // the document's token ids come from the tokenizer alone, which keeps the same rows, so no
    // document is run through the model again (that cost ~100 ms per hit on a small model).
    // Only when the stored rows do not line up (another tokenizer wrote them) is it re-encoded.
    const stored = snapshot.get(id);
    let docIds = this.encoder.outputTokenIds(p.text, "document");
    let raw: { queryIndex: number; docIndex: number; score: number }[];
    if (stored && this.#pooling === null && stored.length === docIds.length) raw = snapshot.explain(vectors(q), id);
    else {
      const [d] = await this.encoder.encodeDocuments([p.text]);
      docIds = d!.tokenIds;
      raw = maxsimExplain(vectors(q), vectors(d!));
    }
    const qTokens = this.encoder.tokenStrings(q.tokenIds);
    const dTokens = this.encoder.tokenStrings(docIds);
    const spans = alignTokens(p.text, dTokens);
    let score = 0;
    const matches = raw.map((m) => {
      score += m.score;
      return {
        queryIndex: m.queryIndex,
        queryToken: qTokens[m.queryIndex] ?? "",
        docIndex: m.docIndex,
        docToken: dTokens[m.docIndex] ?? "",
        score: m.score,
        span: spans[m.docIndex] ?? null,
      };
    });
    return { id, score, matches };
  }

  /**
   * The query's encoding, shared by the explanations of one result list (callers explain every
   * hit of a query, often concurrently); a few recent queries are kept.
   */
  #explainQuery(query: string): Promise<TokenEmbeddings> {
    let p = this.#recentQueries.get(query);
    if (p === undefined) {
      p = this.encoder.encodeQueries([query]).then((r) => r[0]!);
      p.catch(() => this.#recentQueries.delete(query));
      this.#recentQueries.set(query, p);
      if (this.#recentQueries.size > 8) this.#recentQueries.delete(this.#recentQueries.keys().next().value as string);
    }
    return p;
  }

  /** Closes the index (releasing its writer lock) and disposes the encoder when the collection loaded it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#index.close();
    if (this.#ownsEncoder) await (this.encoder as ColBERT).dispose();
  }
}
