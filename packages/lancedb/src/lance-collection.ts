/**
 * `LanceCollection`: a maxsim collection whose documents and token vectors live in a LanceDB
 * table at a URI (`./dir`, `s3://…`, `gs://…`, `az://…`), behind the same
 * {@link RetrievalCollection} surface as core's `Collection`, so both wrappers' retrievers run
 * on it unchanged. Many processes can read the table at once and see new versions as writers
 * commit them.
 *
 * Search: LanceDB's multivector search (cosine MaxSim, exact without a vector index, IVF-PQ
 * candidates with one) fetches candidates with their vectors; maxsim's exact MaxSim
 * (`maxsimScore`, core `scoring/`) over those vectors gives the final order, so scores equal core's
 * and the top-k agrees with core's exact search. Metadata filters are translated to LanceDB SQL
 * (`filter-sql.ts`) and re-checked with core's `compileFilter` on the fetched rows.
 */
import type { Connection, Table } from "@lancedb/lancedb";
import type { Schema } from "apache-arrow";
import { type ColBERT, MaxsimError, compileFilter, poolTokens, throwIfAborted } from "@maxsim/core";
import type {
  AddOptions,
  CollectionOptions,
  DocumentInput,
  Encoder,
  ExplainedResult,
  Explanation,
  Filter,
  FilterPredicate,
  Metadata,
  OpenCollectionOptions,
  QueryOptions,
  QueryResult,
  RetrievalCollection,
  StoredDocument,
  TokenEmbeddings,
  TokenVectors,
} from "@maxsim/core";
import { DEFAULT_TABLE, checkK, checkPoolFactor, connectTo, loadEncoder, prepareDocuments, vectorTypeOf } from "./collection-options.js";
import { existingIds, matchingIds, readDocuments } from "./table-reads.js";
import { addFilterColumns, commitRows } from "./table-writes.js";
import { withConflictRetry } from "./conflicts.js";
import { explainEncoded, explainStored } from "./explain.js";
import { idsIn, toLanceWhere } from "./filter-sql.js";
import { isMetaColumn, metaValues } from "./meta-columns.js";
import { rescoreCandidates, rescoreWithVectors } from "./rescore.js";
import type { LanceSearchOptions } from "./rescore.js";
import { cellToVectors, collectionSchema, readCollectionMeta } from "./table-schema.js";
import type { DocumentRow, LanceCollectionMeta, LanceVectorType } from "./table-schema.js";

/** How a LanceDB collection connects to its table (LanceDB's own options, passed through). */
export interface LanceConnectOptions {
  /**
   * The table's name in the database at the URI.
   * @defaultValue `"documents"`
   */
  tableName?: string;
  /**
   * Object-storage options, passed to LanceDB's `connect` as is: credentials, region, endpoint,
   * e.g. `{ region: "eu-west-1" }` or `{ aws_access_key_id, aws_secret_access_key }` for S3,
   * `{ service_account: "/path/key.json" }` for GCS, `{ account_name, account_key }` for Azure.
   * Omitted, LanceDB reads the usual environment variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`).
   */
  storageOptions?: Record<string, string>;
  /**
   * Seconds between checks for versions other processes committed: `0` checks before every read
   * (one small manifest read; every query sees the newest committed documents), `undefined` never
   * checks (call `refresh()`).
   * @defaultValue `0`
   */
  readConsistencyInterval?: number;
}

/** Options of {@link LanceCollection.create}: core's collection options plus LanceDB's. */
export interface LanceCollectionOptions extends CollectionOptions, LanceConnectOptions {
  /**
   * How token vectors are stored: `"float16"` halves the table; scores then use the float16 values.
   * Also read from `codec` (`"float32"` or `"float16"`; residual codecs are core-index only).
   * @defaultValue `"float32"`
   */
  vectorType?: LanceVectorType;
}

/** Options of {@link LanceCollection.open}. */
export interface OpenLanceCollectionOptions extends OpenCollectionOptions, LanceConnectOptions {}

/** Options of {@link LanceCollection.query}: core's plus candidate tuning. */
export interface LanceQueryOptions extends QueryOptions, LanceSearchOptions {}

/**
 * A maxsim collection stored in a LanceDB table.
 *
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * import { LanceCollection } from "@maxsim/lancedb";
 * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
 * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
 * await c.addDocuments([
 *   { id: "fr", text: "Le chat dort sur le canapé.", metadata: { lang: "fr" } },
 *   { id: "de", text: "Der Hund bellt laut.", metadata: { lang: "de" } },
 * ]);
 * console.log((await c.query("cat", { k: 1 }))[0]!.id); // fr
 * console.log((await c.query("cat", { k: 5, filter: { lang: "de" } })).map((h) => h.id)); // [ 'de' ]
 * await c.close();
 * ```
 */
export class LanceCollection implements RetrievalCollection {
  /** The encoder documents and queries are encoded with. */
  readonly encoder: Encoder;
  /** The URI of the LanceDB database. */
  readonly uri: string;
  /** The collection record (model, vector type) read from the table's schema metadata. */
  readonly meta: LanceCollectionMeta;
  /** True when opened with `readOnly` (writes fail with `INDEX_READ_ONLY`). */
  readonly readOnly: boolean;
  readonly #db: Connection;
  readonly #table: Table;
  readonly #ownsEncoder: boolean;
  #schema: Schema;
  #size = 0;
  #version = 0;
  #closed = false;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(uri: string, db: Connection, table: Table, schema: Schema, encoder: Encoder, owned: boolean, readOnly: boolean) {
    this.uri = uri;
    this.#db = db;
    this.#table = table;
    this.#schema = schema;
    this.meta = readCollectionMeta(schema, uri);
    this.encoder = encoder;
    this.#ownsEncoder = owned;
    this.readOnly = readOnly;
  }

  /**
   * Creates a collection table at `uri` (a directory or an object-storage URI).
   *
   * @param uri - where the LanceDB database lives; `null` is refused (`INVALID_OPTION`)
   * @param options - `model`, `modelOptions`, `vectorType`/`codec`, `poolFactor` (PyLate's document
   * token pooling, recorded in the table and applied by every later write), `tableName`, `storageOptions`
   * @throws MaxsimError `INDEX_EXISTS` when the table exists, `INVALID_OPTION` (bad `vectorType`, `poolFactor`, no URI), model loading codes
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual, vectorType: "float16" });
   * console.log(c.meta.vectorType, c.size); // float16 0
   * await c.close();
   * ```
   */
  static async create(uri: string | null, options: LanceCollectionOptions): Promise<LanceCollection> {
    const vectorType = vectorTypeOf(options);
    const poolFactor = checkPoolFactor(options.poolFactor ?? 1);
    const db = await connectTo(uri, options);
    const name = options.tableName ?? DEFAULT_TABLE;
    let loaded: { encoder: Encoder; owned: boolean } | undefined;
    try {
      if ((await db.tableNames()).includes(name)) {
        throw new MaxsimError(
          "INDEX_EXISTS",
          `${uri} already holds a table "${name}". Open it with LanceCollection.open (or fromExistingIndex), or pick another tableName.`,
        );
      }
      loaded = await loadEncoder(options.model, options.modelOptions);
      const table = await db.createEmptyTable(name, collectionSchema(loaded.encoder, vectorType, poolFactor));
      const c = new LanceCollection(uri!, db, table, await table.schema(), loaded.encoder, loaded.owned, false);
      c.#version = await table.version();
      return c;
    } catch (error) {
      if (loaded?.owned) await (loaded.encoder as ColBERT).dispose();
      db.close();
      throw error;
    }
  }

  /**
   * Opens the collection table at `uri` with its recorded model (or `options.model`, which must be it).
   *
   * @throws MaxsimError `INDEX_NOT_FOUND` without the table, `MODEL_MISMATCH` naming both models,
   * `INVALID_OPTION` for a table that is not a collection, `INDEX_VERSION`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const made = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * await made.addDocuments([{ id: "de", text: "Der Hund bellt." }]);
   * await made.close();
   * const c = await LanceCollection.open(uri); // loads the recorded model
   * console.log(c.size, (await c.query("dog"))[0]!.id); // 1 de
   * await c.close();
   * ```
   */
  static async open(uri: string, options: OpenLanceCollectionOptions = {}): Promise<LanceCollection> {
    const db = await connectTo(uri, options);
    const name = options.tableName ?? DEFAULT_TABLE;
    let loaded: { encoder: Encoder; owned: boolean } | undefined;
    let table: Table | undefined;
    try {
      if (!(await db.tableNames()).includes(name)) {
        throw new MaxsimError(
          "INDEX_NOT_FOUND",
          `No maxsim collection table "${name}" at ${uri}. Check the URI and tableName, or create one with LanceCollection.create.`,
        );
      }
      table = await db.openTable(name);
      const schema = await table.schema();
      const meta = readCollectionMeta(schema, uri);
      loaded = await loadEncoder(options.model ?? meta.model.id, options.modelOptions);
      if (loaded.encoder.modelId !== meta.model.id || loaded.encoder.dim !== meta.model.dim) {
        throw new MaxsimError(
          "MODEL_MISMATCH",
          `The collection at ${uri} was built with model ${meta.model.id} (dim ${meta.model.dim}) but was opened with ${loaded.encoder.modelId} (dim ${loaded.encoder.dim}). Open it without a model (or with ${meta.model.id}), or build a new collection for the other model.`,
        );
      }
      const c = new LanceCollection(uri, db, table, schema, loaded.encoder, loaded.owned, options.readOnly ?? false);
      await c.#sync();
      return c;
    } catch (error) {
      if (loaded?.owned) await (loaded.encoder as ColBERT).dispose();
      table?.close();
      db.close();
      throw error;
    }
  }

  /** Number of documents as of the last write, query or refresh of this object. */
  get size(): number {
    return this.#size;
  }

  /** The LanceDB table (for indexing, `optimize`, versions). */
  get table(): Table {
    return this.#table;
  }

  #check(write = false): void {
    if (this.#closed) throw new MaxsimError("INDEX_CLOSED", "The collection is closed. Open it again with LanceCollection.open.");
    if (write && this.readOnly) throw new MaxsimError("INDEX_READ_ONLY", "This collection was opened with readOnly: true. Open it without readOnly to write.");
  }

  /** Re-reads the version, schema and row count after a commit or a version change. */
  async #sync(): Promise<void> {
    this.#version = await this.#table.version();
    this.#schema = await this.#table.schema();
    this.#size = await this.#table.countRows();
  }

  #has = (name: string): boolean => this.#schema.fields.some((f) => f.name === name);

  /**
   * Moves to the newest version committed by any process (LanceDB `checkoutLatest`).
   *
   * @returns `true` when a newer version was adopted
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const writer = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * const reader = await LanceCollection.open(uri, { readOnly: true, model: writer.encoder });
   * await writer.addDocuments([{ id: "a", text: "Le chat dort." }]);
   * console.log(reader.size, await reader.refresh(), reader.size); // 0 true 1
   * await reader.close();
   * await writer.close();
   * ```
   */
  async refresh(): Promise<boolean> {
    this.#check();
    const before = this.#version;
    await this.#table.checkoutLatest();
    await this.#sync();
    return this.#version !== before;
  }

  /** Serialises this object's writes (LanceDB handles other processes' with optimistic commits). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(fn, fn);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  /**
   * One LanceDB commit for `rows` (new filter columns first). When another writer changed the
   * schema meanwhile (added filter columns), the schema is re-read and the commit tried once more.
   */
  async #commitRows(rows: readonly DocumentRow[], upsert: boolean): Promise<void> {
    this.#schema = await addFilterColumns(this.#table, this.#schema, rows);
    try {
      await commitRows(this.#table, this.#schema, rows, upsert, this.meta);
    } catch (error) {
      if (!(error instanceof Error) || !/schema/i.test(error.message)) throw error;
      await this.#table.checkoutLatest();
      this.#schema = await addFilterColumns(this.#table, await this.#table.schema(), rows);
      await commitRows(this.#table, this.#schema, rows, upsert, this.meta);
    }
  }

  /**
   * Stores documents with precomputed token vectors (encoded elsewhere with this collection's
   * model, e.g. in a batch job) as one commit, without running the encoder; vectors are stored as
   * given (no pooling).
   *
   * @param docs - `{ id, text?, metadata?, vectors }` each; `vectors.dim` must be the model's
   * @param options - `upsert` replaces stored documents with the same id (default: `DUPLICATE_ID`)
   * @throws MaxsimError `DIM_MISMATCH`, `INVALID_VECTOR` (NaN/Inf), `DUPLICATE_ID`, `INVALID_ID`, `COMMIT_CONFLICT`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * const [doc] = await c.encoder.encodeDocuments(["Der Hund bellt."]);
   * await c.addVectors([{ id: "de", text: "Der Hund bellt.", vectors: doc! }]);
   * const [q] = await c.encoder.encodeQueries(["dog"]);
   * console.log((await c.searchVectors(q!, { k: 1 }))[0]!.id); // de
   * await c.close();
   * ```
   */
  async addVectors(
    docs: readonly { id: string; text?: string; metadata?: Metadata; vectors: TokenVectors }[],
    options: { upsert?: boolean } = {},
  ): Promise<void> {
    this.#check(true);
    const dim = this.meta.model.dim;
    const prepared = prepareDocuments(docs.map((d) => ({ id: d.id, text: d.text ?? "", metadata: d.metadata })));
    const rows: DocumentRow[] = prepared.map((d, i) => {
      const v = docs[i]!.vectors;
      if (v.dim !== dim)
        throw new MaxsimError(
          "DIM_MISMATCH",
          `Document ${JSON.stringify(d.id)} has ${v.dim}-dimensional vectors; this collection's model has ${dim}. Encode with the collection's model.`,
        );
      for (let j = 0; j < v.length * dim; j++) {
        if (!Number.isFinite(v.data[j]!))
          throw new MaxsimError("INVALID_VECTOR", `Document ${JSON.stringify(d.id)} has a NaN or infinite value. Check the encoder output.`);
      }
      return { ...d, vectors: { data: v.data, length: v.length, dim }, meta: metaValues(d.metadata) };
    });
    await this.#serial(async () => {
      if (!options.upsert) {
        const dup = await existingIds(
          this.#table,
          rows.map((r) => r.id),
        );
        if (dup.length > 0)
          throw new MaxsimError("DUPLICATE_ID", `A document with id ${JSON.stringify(dup[0])} already exists. Pass { upsert: true } to replace it.`);
      }
      if (rows.length > 0) await this.#commitRows(rows, options.upsert ?? false);
      await this.#sync();
    });
  }

  async #write(docs: readonly DocumentInput[], options: AddOptions, upsert: boolean): Promise<string[]> {
    this.#check(true);
    throwIfAborted(options.signal);
    const prepared = prepareDocuments(docs);
    return this.#serial(async () => {
      if (!upsert) {
        const dup = await existingIds(
          this.#table,
          prepared.map((d) => d.id),
        );
        if (dup.length > 0) {
          throw new MaxsimError(
            "DUPLICATE_ID",
            `A document with id ${JSON.stringify(dup[0])} already exists. Use upsertDocuments to replace it, or delete it first.`,
          );
        }
      }
      const batchSize = options.batchSize ?? 64;
      let done = 0;
      for (let start = 0; start < prepared.length; start += batchSize) {
        throwIfAborted(options.signal);
        const batch = prepared.slice(start, start + batchSize);
        const encoded = await this.encoder.encodeDocuments(
          batch.map((d) => d.text),
          { signal: options.signal },
        );
        const pooling = this.meta.pooling;
        const embeddings = pooling === undefined ? encoded : encoded.map((e) => poolTokens(e, pooling.poolFactor, pooling.protectedTokens));
        throwIfAborted(options.signal);
        const rows: DocumentRow[] = batch.map((d, i) => {
          const e = embeddings[i]!;
          return { ...d, vectors: { data: e.data, length: e.length, dim: e.dim }, meta: metaValues(d.metadata) };
        });
        await this.#commitRows(rows, upsert);
        done += batch.length;
        let tokens = 0;
        for (const e of embeddings) tokens += e.length;
        options.onBatch?.({ ids: batch.map((d) => d.id), tokens });
        options.onProgress?.(done, prepared.length);
      }
      await this.#sync();
      return prepared.map((d) => d.id);
    });
  }

  /**
   * Encodes and adds documents (ids: random UUIDs when absent); each batch is one LanceDB commit.
   *
   * @throws MaxsimError `DUPLICATE_ID` when an id exists or repeats, `INVALID_INPUT`, `INVALID_ID`, `ABORTED`, `COMMIT_CONFLICT`, `INDEX_READ_ONLY`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * const ids = await c.addDocuments([{ id: "a", text: "Le chat dort." }, { text: "Il pleut." }]);
   * console.log(ids[0], ids[1]!.length, c.size); // a 36 2
   * await c.close();
   * ```
   */
  addDocuments(docs: readonly DocumentInput[], options: AddOptions = {}): Promise<string[]> {
    return this.#write(docs, options, false);
  }

  /**
   * Adds documents, replacing stored documents with the same id (LanceDB merge-insert on `id`).
   *
   * @throws MaxsimError `DUPLICATE_ID` when an id repeats within the call, `INVALID_INPUT`, `ABORTED`, `COMMIT_CONFLICT`
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "a", text: "Le chat dort." }]);
   * await c.upsertDocuments([{ id: "a", text: "Der Hund bellt.", metadata: { v: 2 } }]);
   * const [a] = await c.getDocuments(["a"]);
   * console.log(c.size, a!.text, a!.metadata); // 1 Der Hund bellt. { v: 2 }
   * await c.close();
   * ```
   */
  upsertDocuments(docs: readonly DocumentInput[], options: AddOptions = {}): Promise<string[]> {
    return this.#write(docs, options, true);
  }

  /** `where` is built inside the write queue, so it sees the filter columns of earlier queued writes. */
  async #deleteWhere(where: () => string | Promise<string>): Promise<number> {
    return this.#serial(async () => {
      const clause = await where();
      const before = await this.#table.countRows(clause);
      if (before === 0) return 0;
      await withConflictRetry("delete", () => this.#table.delete(clause));
      await this.#sync();
      return before;
    });
  }

  /**
   * Deletes documents by id (one commit); unknown ids are ignored.
   *
   * @returns how many documents were deleted
   * @throws MaxsimError `COMMIT_CONFLICT`, `INDEX_READ_ONLY`
   */
  async deleteDocuments(ids: readonly string[]): Promise<number> {
    this.#check(true);
    if (ids.length === 0) return 0;
    const where = idsIn(ids);
    return this.#deleteWhere(() => where);
  }

  /**
   * Deletes every document whose metadata pass `filter`, as one LanceDB delete with the filter's SQL.
   *
   * @throws MaxsimError `INVALID_FILTER` for a malformed filter or `{}` (which would delete everything)
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([
   *   { id: "a#0", text: "Le chat dort.", metadata: { source: "a.md" } },
   *   { id: "b#0", text: "Der Hund bellt.", metadata: { source: "b.md" } },
   * ]);
   * console.log(await c.deleteWhere({ source: "a.md" }), c.size); // 1 1
   * await c.close();
   * ```
   */
  async deleteWhere(filter: Filter): Promise<number> {
    this.#check(true);
    if (typeof filter === "object" && filter !== null && Object.values(filter).every((v) => v === undefined)) {
      throw new MaxsimError(
        "INVALID_FILTER",
        "deleteWhere({}) would delete every document. Pass a filter that names a field, or delete all explicitly with deleteDocuments(ids).",
      );
    }
    compileFilter(filter); // validates before queueing: INVALID_FILTER naming the operator
    return this.#deleteWhere(() => this.#where(filter));
  }

  /** The SQL of a filter: translated when declarative, an id list when a predicate. */
  async #where(filter: Filter): Promise<string> {
    compileFilter(filter); // validates: INVALID_FILTER naming the operator
    if (typeof filter !== "function") return toLanceWhere(filter, this.#has);
    return idsIn(await this.findIds(filter));
  }

  /**
   * The ids of the documents whose metadata pass `filter` (SQL for declarative filters; a scan of
   * ids and metadata for predicates).
   *
   * @throws MaxsimError `INVALID_FILTER`
   */
  async findIds(filter: Filter): Promise<string[]> {
    this.#check();
    return matchingIds(this.#table, filter, typeof filter === "function" ? undefined : toLanceWhere(filter, this.#has));
  }

  /**
   * The stored documents for `ids`, `undefined` for unknown ids.
   *
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort.", metadata: { lang: "fr" } }]);
   * console.log(await c.getDocuments(["fr", "nope"])); // [ { id: 'fr', text: 'Le chat dort.', metadata: { lang: 'fr' } }, undefined ]
   * await c.close();
   * ```
   */
  async getDocuments(ids: readonly string[]): Promise<(StoredDocument | undefined)[]> {
    this.#check();
    return readDocuments(this.#table, ids);
  }

  /**
   * The `k` best documents for `text`, best first (ties by id), scored by maxsim's exact MaxSim.
   *
   * @param options - `k` (10), `filter`, `exact` (skip LanceDB's vector index), `signal`,
   * `candidates`, `nprobes`, `refineFactor`
   * @throws MaxsimError `INVALID_FILTER`, `INVALID_OPTION` for a bad `k`, `ABORTED`
   */
  async query(text: string, options: LanceQueryOptions = {}): Promise<QueryResult[]> {
    return (await this.queryBatch([text], options))[0]!;
  }

  /** {@link LanceCollection.query} for several queries, encoded in one batch. */
  async queryBatch(texts: readonly string[], options: LanceQueryOptions = {}): Promise<QueryResult[][]> {
    return this.#searchTexts(texts, options, (q, rescore) => rescoreCandidates(this.#table, vectorsOf(q), rescore));
  }

  /**
   * {@link LanceCollection.queryBatch} with each hit's {@link Explanation} (as
   * {@link LanceCollection.explain} gives it). Each query is encoded once, and its hits are
   * explained from that encoding and from the rows the search read: one LanceDB read per query
   * fetches the candidates' text and vectors from one table version, and no second read is made
   * to explain them, so an explanation describes the version of the document that was ranked
   * (separate `explain` calls encode the query again and read the newest version). LanceDB has no
   * snapshot shared across reads: the queries of one call may each read a newer version than the
   * one before (with `readConsistencyInterval: 0`, the default), and `size` is as of the last write,
   * query or refresh.
   *
   * @param texts - the queries
   * @param options - as {@link LanceCollection.query}
   * @returns one result list per query, in input order
   * @throws as {@link LanceCollection.queryBatch}
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { LanceCollection } from "@maxsim/lancedb";
   * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance");
   * const c = await LanceCollection.create(uri, { model: (await ensureFixtures()).multilingual });
   * await c.addDocuments([{ id: "fr", text: "Le chat dort sur le canapé." }, { id: "de", text: "Der Hund bellt laut." }]);
   * const [hits] = await c.queryBatchExplained(["cat"], { k: 1 });
   * const hit = hits![0]!;
   * const cat = hit.explanation.matches.find((m) => m.queryToken === "cat")!;
   * console.log(hit.id, cat.docToken, cat.span, Math.abs(hit.explanation.score - hit.score) < 1e-4); // fr chat [3, 7] true
   * await c.close();
   * ```
   */
  async queryBatchExplained(texts: readonly string[], options: LanceQueryOptions = {}): Promise<ExplainedResult[][]> {
    // A pooled row stands for several tokens: explain the unpooled document, as core does.
    const pooled = this.meta.pooling !== undefined;
    return this.#searchTexts(texts, options, async (q, rescore) =>
      Promise.all(
        (await rescoreWithVectors(this.#table, vectorsOf(q), rescore)).map(async ({ hit, vectors }) => ({
          ...hit,
          explanation: await explainEncoded(this.encoder, q, hit.id, hit.text, vectors, pooled),
        })),
      ),
    );
  }

  /** Checks the options, encodes `texts` in one batch, and runs `search` for each encoding in order. */
  async #searchTexts<R>(
    texts: readonly string[],
    options: LanceQueryOptions,
    search: (q: TokenEmbeddings, rescore: LanceQueryOptions & { k: number; where?: string; pass?: FilterPredicate }) => Promise<R[]>,
  ): Promise<R[][]> {
    this.#check();
    const k = options.k ?? 10;
    checkK(k);
    const where = options.filter === undefined ? undefined : await this.#where(options.filter);
    const pass = options.filter === undefined ? undefined : compileFilter(options.filter);
    throwIfAborted(options.signal);
    if (texts.length === 0) return [];
    if (k === 0) return texts.map(() => []);
    const encoded = await this.encoder.encodeQueries([...texts], { signal: options.signal });
    const out: R[][] = [];
    for (const q of encoded) {
      throwIfAborted(options.signal);
      out.push(await search(q, { ...options, k, where, pass }));
    }
    return out;
  }

  /**
   * {@link LanceCollection.query} with precomputed query token vectors (no encoder run).
   *
   * @throws MaxsimError `DIM_MISMATCH`, `INVALID_FILTER`, `INVALID_OPTION` for a bad `k`
   */
  async searchVectors(query: TokenVectors, options: LanceQueryOptions = {}): Promise<QueryResult[]> {
    this.#check();
    const k = options.k ?? 10;
    checkK(k);
    if (query.dim !== this.meta.model.dim)
      throw new MaxsimError(
        "DIM_MISMATCH",
        `The query has ${query.dim}-dimensional vectors; this collection's model has ${this.meta.model.dim}. Encode with the collection's model.`,
      );
    if (k === 0 || query.length === 0) return [];
    const where = options.filter === undefined ? undefined : await this.#where(options.filter);
    const pass = options.filter === undefined ? undefined : compileFilter(options.filter);
    return rescoreCandidates(this.#table, query, { ...options, k, where, pass });
  }

  /**
   * Which document token each query token matched (scores from the stored vectors), with spans.
   *
   * @throws MaxsimError `NOT_FOUND` for an unknown id
   */
  async explain(query: string, id: string): Promise<Explanation> {
    this.#check();
    // No stored document can be looked up by an id LanceDB SQL cannot hold (a NUL character).
    if (typeof id === "string" && id.includes("\u0000"))
      throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)}. Check the id (ids are case-sensitive).`);
    const rows = (await this.#table
      .query()
      .where(idsIn([id]))
      .select(["text", "vectors"])
      .limit(1)
      .toArray()) as { text: string | null; vectors: unknown }[];
    const row = rows[0];
    if (!row) throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)}. Check the id (ids are case-sensitive).`);
    // A pooled row stands for several tokens: explain the unpooled document, as core does.
    return explainStored(this.encoder, query, id, row.text ?? "", cellToVectors(row.vectors, this.meta.model.dim), this.meta.pooling !== undefined);
  }

  /** Closes the table and connection, and disposes the encoder when this collection loaded it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes;
    this.#table.close();
    this.#db.close();
    if (this.#ownsEncoder) await (this.encoder as ColBERT).dispose();
  }

  /** The filter columns the table has now (for diagnostics and tests). */
  metaColumns(): string[] {
    return this.#schema.fields.map((f) => f.name).filter(isMetaColumn);
  }
}

/** The token vectors of a query encoding (without its token ids), as LanceDB's search takes them. */
function vectorsOf(q: TokenEmbeddings): TokenVectors {
  return { data: q.data, length: q.length, dim: q.dim };
}
