/**
 * `MaxSimIndex`: the vectors-only multi-vector index — exact search on the ONNX Runtime MaxSim
 * kernel, PLAID-style approximate search (k-means centroids + hnswlib-node + inverted lists, see
 * `plaid.ts`), incremental add/upsert/delete, compaction with centroid retraining, and id filters.
 * Everything persists through the storage layer's `IndexStore` (one commit per write, so a crash
 * leaves the last committed state), and documents may carry a JSON payload committed with their
 * vectors (what `Collection` uses for text and metadata).
 *
 * This class is a facade, as next-plaid's `lib.rs`: each verb delegates to a module with one job —
 * `slot-table.ts` (the in-memory state), `read-write-gate.ts` (writes one at a time, swaps fenced
 * against running searches), `index-search.ts` (exact and approximate search), `index-write.ts`
 * (add/upsert/delete), `index-train.ts` (training, retraining, compaction) and
 * `index-persist.ts` (loading snapshots).
 *
 * Memory holds the vectors in the codec's stored form (`token-arena.ts`: float32, float16 bits, or
 * centroid ids + packed residuals), so the codec sets the size in memory as on disk, and results do
 * not change when an index is reopened: segments are written from the same bytes. Small indexes (below `minTrainTokens`
 * tokens) are not trained and `search` is exact on them; the add that crosses the threshold
 * trains centroids and rewrites the segments with centroid ids (and residuals). With `autoRetrain`
 * (the default), the write that brings the tokens added since the last training up to the count
 * the centroids were trained on retrains them (a doubling rule: total retraining work stays
 * proportional to the tokens ever added), so recall does not decay as the index grows.
 */
import { MaxsimError } from "../errors.js";
import { checkVectors } from "../scoring/flat-tokens.js";
import { maxsimExplain, type TokenMatchScore } from "../scoring/maxsim.js";
import { IndexStore } from "../storage/index-store.js";
import type { TokenVectors } from "../types.js";
import type { CentroidProber } from "./plaid.js";
import { TierFiles, TierRows } from "./disk-tier-rows.js";
import { ownerMeta, type IndexContext } from "./index-context.js";
import { loadNewest } from "./index-persist.js";
import { calibrate } from "./calibration.js";
import { explainPlan, exactTopK, plannedTopK, rerankIds } from "./index-search.js";
import { DEFAULT_LATENCY_BUDGET_MS, DEFAULT_TARGET_RECALL, type PlannerDefaults } from "./planner.js";
import { initialState, STATE_KEY, type IndexItem, type IndexState, type MaxSimIndexOpenOptions, type MaxSimIndexOptions } from "./index-state.js";
import { compactIndex, trainIfDue } from "./index-train.js";
import { deleteIds, writeItems } from "./index-write.js";
import { ReadWriteGate } from "./read-write-gate.js";
import { SlotTable } from "./slot-table.js";
import type { Calibration, ExactSearchOptions, IndexCodec, IndexSnapshot, SearchHit, SearchOptions, SearchPlan } from "./types.js";
import { checkOwnerMeta, indexOpenOptions, indexOptions } from "./boundary.js";
import type { PayloadCheck } from "./index-state.js";

export type { IndexItem, MaxSimIndexOpenOptions, MaxSimIndexOptions } from "./index-state.js";

/**
 * A multi-vector (late-interaction) index: add token vectors under string ids, search with
 * MaxSim. Results are best first, ties broken by id.
 *
 * @example
 * ```ts
 * import { MaxSimIndex } from "@maxsim/core";
 * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
 * const index = MaxSimIndex.inMemory({ dim: 2 });
 * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
 * console.log(JSON.stringify(await index.search(v([1, 0]), { k: 2 }))); // [{"id":"a","score":1,"normalizedScore":1},{"id":"b","score":0.5,"normalizedScore":0.5}]
 * ```
 */
export class MaxSimIndex {
  readonly dim: number;
  readonly codec: IndexCodec;
  private readonly ctx: IndexContext;
  /** Running {@link MaxSimIndex.bulk} calls: training waits until the last one ends. */
  private bulkDepth = 0;
  /** Manifest generation and meta the in-memory state was loaded from (readers; see `refresh`). */
  private loadedGeneration: number;
  private loadedMeta: Record<string, unknown>;
  /** The open option of the same name, applied at every load (open and refresh). */
  private checkPayload: PayloadCheck | undefined;

  private constructor(store: IndexStore, state: IndexState, table: SlotTable) {
    this.dim = store.manifest.dim;
    this.codec = state.codec;
    this.ctx = { store, gate: new ReadWriteGate(), state, table };
    this.loadedGeneration = store.manifest.generation;
    this.loadedMeta = store.manifest.meta;
  }

  private get table(): SlotTable {
    return this.ctx.table;
  }

  /**
   * Creates an index directory.
   *
   * @param dir - directory to create (parents too)
   * @param options - see {@link MaxSimIndexOptions}
   * @throws MaxsimError `INDEX_EXISTS`, `INDEX_LOCKED`, `INVALID_OPTION`, `IO_ERROR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * import { mkdtempSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * const dir = join(mkdtempSync(join(tmpdir(), "maxsim-")), "idx");
   * const index = await MaxSimIndex.create(dir, { dim: 2, codec: "float16", meta: { owner: "me" } });
   * await index.add([{ id: "a", embeddings: { data: new Float32Array([1, 0]), length: 1, dim: 2 }, payload: { text: "hi" } }]);
   * await index.close();
   * const reopened = await MaxSimIndex.open(dir);
   * console.log(reopened.size, reopened.getPayload("a"), reopened.meta); // 1 { text: 'hi' } { owner: 'me' }
   * await reopened.close();
   * ```
   */
  static async create(dir: string, options: MaxSimIndexOptions): Promise<MaxSimIndex> {
    indexOptions("MaxSimIndex.create", dir, options);
    const state = initialState(options);
    const store = await IndexStore.create(dir, { dim: options.dim, codec: state.codec, meta: { ...(options.meta ?? {}), [STATE_KEY]: state } });
    return new MaxSimIndex(store, state, emptyTable(store, state, options.dim));
  }

  /**
   * An index that lives in memory only (same behaviour, no files).
   *
   * @throws MaxsimError `INVALID_OPTION`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const index = MaxSimIndex.inMemory({ dim: 128, codec: "residual-2" });
   * console.log(index.size, index.trained); // 0 false
   * ```
   */
  static inMemory(options: MaxSimIndexOptions): MaxSimIndex {
    indexOptions("MaxSimIndex.inMemory", null, options);
    const state = initialState(options);
    const store = IndexStore.inMemory({ dim: options.dim, codec: state.codec, meta: { ...(options.meta ?? {}), [STATE_KEY]: state } });
    return new MaxSimIndex(store, state, emptyTable(store, state, options.dim));
  }

  /**
   * Opens an index directory at its last commit.
   *
   * @throws MaxsimError `INDEX_NOT_FOUND`, `INDEX_VERSION`, `INDEX_LOCKED`, `INVALID_OPTION` (not a MaxSimIndex), {@link IndexCorruptError}
   * @example
   * ```ts
   * import { MaxSimIndex, MaxsimError } from "@maxsim/core";
   * try {
   *   await MaxSimIndex.open("/nonexistent/maxsim-index");
   * } catch (e) {
   *   console.log(MaxsimError.isInstance(e) && e.code); // INDEX_NOT_FOUND
   * }
   * ```
   */
  static async open(dir: string, options: MaxSimIndexOpenOptions = {}): Promise<MaxSimIndex> {
    indexOpenOptions("MaxSimIndex.open", dir, options);
    const store = await IndexStore.open(dir, { readOnly: options.readOnly ?? false });
    try {
      const snapshot = (await loadNewest(store, null, undefined, options.checkPayload))!;
      const index = new MaxSimIndex(store, snapshot.state, snapshot.table);
      index.checkPayload = options.checkPayload;
      return index;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * Moves a read-only index to the newest committed snapshot (what a writer in this or another
   * process committed since it was opened or last refreshed): reloads it, then swaps it in at once
   * — searches already running finish on the old snapshot, later ones see the new one, never a mix.
   * A writer always holds its newest state: `refresh()` returns `false` there.
   *
   * @returns `true` when a newer snapshot was adopted, `false` when there was none
   * @throws MaxsimError `INDEX_STALE` when a writer garbage-collected each newer snapshot before it
   *   could be read, several times in a row (call `refresh()` again later), `INDEX_CLOSED`,
   *   {@link IndexCorruptError}, `IO_ERROR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * import { mkdtempSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const dir = join(mkdtempSync(join(tmpdir(), "maxsim-")), "idx");
   * const writer = await MaxSimIndex.create(dir, { dim: 2 });
   * await writer.add([{ id: "a", embeddings: v([1, 0]) }]);
   * const reader = await MaxSimIndex.open(dir, { readOnly: true });
   * await writer.add([{ id: "b", embeddings: v([0, 1]) }]);
   * console.log(reader.size, await reader.refresh(), reader.size, await reader.refresh()); // 1 true 2 false
   * console.log(JSON.stringify(await reader.search(v([0, 1]), { k: 1 }))); // [{"id":"b","score":1,"normalizedScore":1}]
   * await reader.close();
   * await writer.close();
   * ```
   */
  refresh(): Promise<boolean> {
    const { store, gate } = this.ctx;
    if (!store.readOnly && !gate.closed) return Promise.resolve(false);
    return gate.exclusive(async () => {
      const fresh = await loadNewest(store, this.loadedGeneration, this.table.tier?.files, this.checkPayload);
      if (fresh === null) return false;
      // The whole table is replaced once no search runs: a search sees the old or the new snapshot.
      await gate.quiesce(() => {
        this.ctx.state = fresh.state;
        this.ctx.table = fresh.table;
        this.loadedGeneration = fresh.generation;
        this.loadedMeta = fresh.meta;
      });
      return true;
    });
  }

  /**
   * Runs `fn` on one snapshot of the index: until the promise it returns settles, no refresh
   * swap, write, delete, compaction or retraining changes what `snapshot` answers (they wait for
   * it; reads do not wait for each other). `Collection` reads (filter ids, search, payloads) run
   * in one pin each. Inside `fn`, use `snapshot`'s methods: the index's own searches would wait
   * for a swap that waits for `fn`.
   *
   * @throws MaxsimError `INDEX_CLOSED`, and whatever `fn` throws
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0]), payload: { n: 1 } }]);
   * const hits = await index.pin(async (s) => {
   *   const found = await s.search(v([1, 0]), { k: 1 });
   *   return found.map((h) => [h.id, s.getPayload(h.id)]);
   * });
   * console.log(JSON.stringify(hits)); // [["a",{"n":1}]]
   * ```
   */
  pin<T>(fn: (snapshot: IndexSnapshot) => Promise<T> | T): Promise<T> {
    const gate = this.ctx.gate;
    if (gate.closed) return Promise.reject(new MaxsimError("INDEX_CLOSED", "The index is closed. Open it again to use it."));
    return gate.read(async () => {
      // Inside the read gate the table is neither replaced (refresh) nor changed in place.
      const table = this.table;
      const view: IndexSnapshot = {
        size: table.liveCount,
        has: (id) => table.idToSlot.has(id),
        ids: function* () {
          for (let s = 0; s < table.slots; s++) if (table.alive[s] === 1) yield table.slotIds[s]!;
        },
        get: (id) => table.get(id),
        getPayload: (id) => {
          const slot = table.idToSlot.get(id);
          return slot === undefined ? undefined : (table.payloads[slot] ?? undefined);
        },
        search: async (query, options) => (await plannedTopK(table, this.plannerDefaults(), query, options)).hits,
        searchExact: async (query, options) => (await exactTopK(table, [query], options))[0]!,
        explain: (query, id) => {
          checkVectors(query, "The query", this.dim);
          const doc = table.get(id);
          if (doc === undefined)
            throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Explain only stored ids (check index.has(id)).`);
          return maxsimExplain(query, doc);
        },
      };
      return fn(view);
    });
  }

  /** Number of live documents. */
  get size(): number {
    return this.table.liveCount;
  }

  /** Owner metadata from the manifest (everything but the index's own state). */
  get meta(): Record<string, unknown> {
    // A reader's store moves to the next manifest before its snapshot is swapped in (refresh).
    return ownerMeta(this.ctx.store.readOnly ? this.loadedMeta : this.ctx.store.manifest.meta);
  }

  /** True once centroids are trained (and `search` is approximate). */
  get trained(): boolean {
    return this.table.centroidIndex !== null;
  }

  /**
   * How `search` finds each query token's nearest centroids: `"exact"` (the ONNX Runtime product,
   * the default), `"hnsw"` (hnswlib-node's graph, when its addon loads and the index has at least
   * `HNSW_MIN_CENTROIDS` centroids), or `null` while untrained.
   */
  get centroidProber(): CentroidProber | null {
    return this.table.centroidIndex?.prober ?? null;
  }

  /**
   * Tokens the current centroids were trained on (0 while untrained). Grows with each retraining
   * (automatic, see {@link MaxSimIndexOptions.autoRetrain}, or by {@link MaxSimIndex.compact}).
   *
   * @example
   * ```ts
   * import { MaxSimIndex, syntheticCorpus } from "@maxsim/core";
   * const corpus = syntheticCorpus({ docs: 40, dim: 8, docLength: [5, 5], concepts: 8, seed: 1 });
   * const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
   * const index = MaxSimIndex.inMemory({ dim: 8, minTrainTokens: 50, centroids: 4 });
   * await index.add(items.slice(0, 10)); // 50 tokens: trains
   * await index.add(items.slice(10, 15)); // 25 new tokens: assigned to the existing centroids
   * console.log(index.trainedTokens, index.tokensSinceTraining); // 50 25
   * await index.add(items.slice(15, 20)); // 50 since training = 50 trained on: retrains on all 100
   * console.log(index.trainedTokens, index.tokensSinceTraining); // 100 0
   * ```
   */
  get trainedTokens(): number {
    return this.table.centroidIndex === null ? 0 : this.ctx.state.trainedTokens;
  }

  /** Tokens added (or upserted) since the centroids were last trained (0 while untrained). */
  get tokensSinceTraining(): number {
    return this.table.centroidIndex === null ? 0 : this.ctx.state.postTokens;
  }

  /** The directory, or `null` in memory. */
  get dir(): string | null {
    return this.ctx.store.dir;
  }

  /** True when a document with this id is stored. */
  has(id: string): boolean {
    return this.table.idToSlot.has(id);
  }

  /** Ids of all stored documents, in insertion order. */
  *ids(): IterableIterator<string> {
    const table = this.table;
    for (let s = 0; s < table.slots; s++) if (table.alive[s] === 1) yield table.slotIds[s]!;
  }

  /** A copy of a document's token vectors (as stored: decoded by the codec), or `undefined`. */
  get(id: string): TokenVectors | undefined {
    return this.table.get(id);
  }

  /** The payload stored with a document, or `undefined` (none, or unknown id). */
  getPayload(id: string): unknown {
    const slot = this.table.idToSlot.get(id);
    return slot === undefined ? undefined : (this.table.payloads[slot] ?? undefined);
  }

  /**
   * Adds documents in one commit. New tokens go to their nearest existing centroids; the add that
   * brings the index to `minTrainTokens` trains centroids, and (with `autoRetrain`) the add that
   * brings the tokens added since training up to {@link MaxSimIndex.trainedTokens} retrains them
   * on everything stored, in a second atomic commit right after the first.
   *
   * @throws MaxsimError `DUPLICATE_ID` (in the batch or already stored: use `upsert`), `INVALID_ID`,
   *   `DIM_MISMATCH`, `INVALID_VECTOR`, `INDEX_READ_ONLY`, `INDEX_CLOSED`, `IO_ERROR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * await index.add([{ id: "c", embeddings: v([0, 1]), payload: { text: "hello" } }]);
   * console.log(index.size, index.getPayload("c")); // 3 { text: 'hello' }
   * ```
   */
  add(items: readonly IndexItem[]): Promise<void> {
    return this.ctx.gate.exclusive(() => this.write(items, false));
  }

  /**
   * Runs `fn` (which adds, upserts or deletes through this index) as one bulk load: the centroid
   * training and retraining that adds would trigger wait until `fn` has finished, then run once
   * on everything. Each add still commits on its own, so a crash keeps the committed batches.
   *
   * Why: residual codecs quantise each token against its centroid, and retraining re-encodes
   * the stored (already quantised) tokens, which adds a second quantisation error. Loading a
   * corpus in many adds would retrain at every doubling; a bulk load into an empty residual
   * index quantises every token once, from float16 (`bench/ann.ts`, 20k docs, residual-2:
   * recall@10 0.924 in one training vs 0.882 in four adds retrained at each doubling). `Collection`
   * wraps each `addDocuments` / `upsertDocuments` call in `bulk`, and `maxsim index` its whole run.
   * Until training, rows of residual indexes are held as float16.
   *
   * @returns what `fn` returns; when `fn` throws, what it committed is trained as usual and its error rethrown
   * @example
   * ```ts
   * import { MaxSimIndex, syntheticCorpus } from "@maxsim/core";
   * const corpus = syntheticCorpus({ docs: 40, dim: 8, docLength: [5, 5], concepts: 8, seed: 1 });
   * const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
   * const index = MaxSimIndex.inMemory({ dim: 8, minTrainTokens: 50, centroids: 4, codec: "residual-2" });
   * await index.bulk(async () => {
   *   for (let i = 0; i < 40; i += 10) await index.add(items.slice(i, i + 10));
   *   console.log(index.trained); // false
   * });
   * console.log(index.trained, index.trainedTokens); // true 200
   * ```
   */
  async bulk<T>(fn: () => Promise<T>): Promise<T> {
    this.bulkDepth++;
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      // What fn committed before failing (an abort, bad input) still gets trained; fn's error wins.
      if (--this.bulkDepth === 0) await this.trainAfterBulk().catch(() => undefined);
      throw error;
    }
    if (--this.bulkDepth === 0) await this.trainAfterBulk();
    return result;
  }

  private async trainAfterBulk(): Promise<void> {
    if (this.ctx.gate.closed || this.ctx.store.readOnly) return;
    await this.ctx.gate.exclusive(() => trainIfDue(this.ctx));
  }

  /**
   * Adds documents, replacing any stored under the same ids, in one commit.
   *
   * @throws as {@link MaxSimIndex.add}, except that stored ids are replaced
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0]) }]);
   * await index.upsert([{ id: "a", embeddings: v([0, 1], [0.5, 0.5]) }]);
   * console.log(index.size, index.get("a")!.length); // 1 2
   * ```
   */
  upsert(items: readonly IndexItem[]): Promise<void> {
    return this.ctx.gate.exclusive(() => this.write(items, true));
  }

  private async write(items: readonly IndexItem[], upsert: boolean): Promise<void> {
    await writeItems(this.ctx, items, upsert);
    // Two tiers train as soon as the index is big enough, also in a bulk load: memory then holds
    // codes, not float16 rows, and retraining later re-encodes from the disk tier.
    const firstTierTraining = this.table.tier !== null && this.table.centroidIndex === null;
    if ((this.bulkDepth === 0 || firstTierTraining) && items.length > 0) await trainIfDue(this.ctx);
  }

  /**
   * Deletes documents; unknown ids are ignored. Returns how many were deleted.
   *
   * @throws MaxsimError `INDEX_READ_ONLY`, `INDEX_CLOSED`, `IO_ERROR`
   */
  delete(ids: readonly string[]): Promise<number> {
    return this.ctx.gate.exclusive(() => deleteIds(this.ctx, ids));
  }

  /**
   * Exact MaxSim top-k (brute force on the ONNX Runtime kernel). An empty index returns `[]`;
   * `k` larger than the index returns every (matching) document.
   *
   * @throws MaxsimError `INVALID_OPTION` (k < 1 or not an integer), `DIM_MISMATCH`, `INVALID_VECTOR`, `ABORTED`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(JSON.stringify(await index.searchExact(v([1, 0]), { k: 10, filter: new Set(["b"]) }))); // [{"id":"b","score":0.5,"normalizedScore":0.5}]
   * ```
   */
  searchExact(query: TokenVectors, options: ExactSearchOptions): Promise<SearchHit[]> {
    return this.ctx.gate.read(async () => (await exactTopK(this.table, [query], options))[0]!);
  }

  /**
   * {@link MaxSimIndex.searchExact} for several queries, scored together: one ONNX Runtime product
   * per block for up to 8 queries (≈ 1.5× the per-query throughput of single calls).
   *
   * @returns one hit list per query, in input order
   * @throws as {@link MaxSimIndex.searchExact}
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * const [first, second] = await index.searchExactBatch([v([1, 0]), v([0.5, 0.5])], { k: 1 });
   * console.log(first![0]!.id, second![0]!.id); // a a
   * ```
   */
  searchExactBatch(queries: readonly TokenVectors[], options: ExactSearchOptions): Promise<SearchHit[][]> {
    return this.ctx.gate.read(() => exactTopK(this.table, queries, options));
  }

  /**
   * MaxSim top-k, planned per call: an exact scan when it fits the latency budget (predicted
   * from the exact kernel's throughput measured on this index's rows, for the live tokens or the
   * filter's matching ones), else PLAID-style approximate search (candidates from centroid
   * inverted lists, rescored exactly) with the calibrated settings that meet the recall target
   * (see {@link MaxSimIndex.calibration}); no calibrated setting meeting it → exact. Untrained
   * (small) indexes and selective filters are scanned exactly. `exact: true/false` forces either;
   * {@link MaxSimIndex.explainSearch} shows the plan.
   *
   * @throws MaxsimError `INVALID_OPTION` (k < 1, a bad `targetRecall`, `latencyBudgetMs` or PLAID
   *   setting), `DIM_MISMATCH`, `INVALID_VECTOR`, `ABORTED`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(JSON.stringify(await index.search(v([1, 0], [0, 1]), { k: 10 })));
   * // [{"id":"a","score":2,"normalizedScore":1},{"id":"b","score":1,"normalizedScore":0.5}]
   * ```
   */
  search(query: TokenVectors, options: SearchOptions): Promise<SearchHit[]> {
    return this.ctx.gate.read(async () => (await plannedTopK(this.table, this.plannerDefaults(), query, options)).hits);
  }

  /**
   * The plan {@link MaxSimIndex.search} runs for `query` and `options`, without searching: exact
   * or approximate, why, the predicted exact latency and, when approximate, the PLAID settings
   * and the recall calibration measured for them.
   *
   * @throws as {@link MaxSimIndex.search}
   * @example
   * ```ts
   * import { MaxSimIndex, syntheticCorpus } from "@maxsim/core";
   * const corpus = syntheticCorpus({ docs: 300, dim: 16, seed: 1 });
   * const index = MaxSimIndex.inMemory({ dim: 16, minTrainTokens: 1000 });
   * await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
   * const [q] = corpus.queries(1);
   * const forced = await index.explainSearch(q!, { k: 10, exact: false });
   * console.log(forced.kind, forced.reason, forced.settings !== undefined); // approximate forced true
   * console.log((await index.explainSearch(q!, { k: 10, latencyBudgetMs: 1e9 })).reason); // within-budget
   * console.log((await index.explainSearch(q!, { k: 10, exact: true })).kind); // exact
   * ```
   */
  explainSearch(query: TokenVectors, options: SearchOptions): Promise<SearchPlan> {
    return this.ctx.gate.read(() => explainPlan(this.table, this.plannerDefaults(), query, options));
  }

  /**
   * The PLAID settings calibrated at the last (re)training: the target, the chosen settings,
   * their measured recall@10 and latency, every grid point measured, when; `null` while
   * untrained (or for an index trained before calibration existed: {@link MaxSimIndex.calibrate}).
   *
   * @example
   * ```ts
   * import { MaxSimIndex, syntheticCorpus } from "@maxsim/core";
   * const corpus = syntheticCorpus({ docs: 300, dim: 16, seed: 1 });
   * const index = MaxSimIndex.inMemory({ dim: 16, minTrainTokens: 1000, targetRecall: 0.9 });
   * console.log(index.calibration); // null
   * await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
   * const c = index.calibration!;
   * console.log(c.targetRecall, c.recall >= 0.9, c.queries, Object.keys(c.settings).join(",")); // 0.9 true 32 nprobe,candidates,rescore
   * ```
   */
  get calibration(): Calibration | null {
    return this.table.centroidIndex === null ? null : (this.ctx.state.calibration ?? null);
  }

  /** The recall@10 target approximate search is calibrated for (see {@link MaxSimIndexOptions.targetRecall}). */
  get targetRecall(): number {
    return this.ctx.state.targetRecall ?? DEFAULT_TARGET_RECALL;
  }

  /**
   * Measures the PLAID settings again on the current documents (as each training does) and
   * commits the result; optionally for a new index-wide target. A no-op while untrained.
   *
   * @param options - `targetRecall`: the new default target (stored in the index)
   * @returns the new calibration, or `null` while untrained
   * @throws MaxsimError `INVALID_OPTION`, `INDEX_READ_ONLY`, `INDEX_CLOSED`, `IO_ERROR`
   */
  calibrate(options: { targetRecall?: number } = {}): Promise<Calibration | null> {
    return this.ctx.gate.exclusive(async () => {
      const targetRecall = options.targetRecall ?? this.targetRecall;
      initialState({ dim: this.dim, targetRecall }); // validates the target
      if (this.table.centroidIndex === null || this.table.liveCount === 0) return null;
      const calibration = await calibrate(this.table, { targetRecall });
      const state = { ...this.ctx.state, targetRecall, calibration };
      await this.ctx.store.commit({ meta: { ...this.meta, [STATE_KEY]: state } });
      this.ctx.state = state;
      return calibration;
    });
  }

  private plannerDefaults(): PlannerDefaults {
    const st = this.ctx.state;
    return {
      targetRecall: st.targetRecall ?? DEFAULT_TARGET_RECALL,
      latencyBudgetMs: st.latencyBudgetMs ?? DEFAULT_LATENCY_BUDGET_MS,
      calibration: st.calibration ?? null,
    };
  }

  /**
   * Exact MaxSim scores of the given stored documents, best first, at most `k`.
   *
   * @throws MaxsimError `NOT_FOUND` (unknown id), `INVALID_OPTION`, `DIM_MISMATCH`, `INVALID_VECTOR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(JSON.stringify(await index.rerank(v([1, 0]), ["b", "a"], { k: 1 }))); // [{"id":"a","score":1,"normalizedScore":1}]
   * ```
   */
  rerank(query: TokenVectors, ids: readonly string[], options: { k?: number } = {}): Promise<SearchHit[]> {
    return this.ctx.gate.read(() => rerankIds(this.table, query, ids, (options ?? {}).k));
  }

  /**
   * Per query token, the best-matching token of document `id` and its dot product (they sum to
   * the document's score).
   *
   * @throws MaxsimError `NOT_FOUND`, `DIM_MISMATCH`, `INVALID_VECTOR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(JSON.stringify(index.explain(v([0, 1]), "a"))); // [{"queryIndex":0,"docIndex":1,"score":1}]
   * ```
   */
  explain(query: TokenVectors, id: string): TokenMatchScore[] {
    checkVectors(query, "The query", this.dim);
    const doc = this.get(id);
    if (doc === undefined)
      throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Explain only stored ids (check index.has(id)).`);
    return maxsimExplain(query, doc);
  }

  /**
   * Rewrites the segments without deleted rows, trains centroids if the index is big enough and
   * untrained, and retrains them when drift makes recall fall: when tokens added after training
   * reach half the trained count, or their mean quantisation error exceeds the training one by 20%.
   * (With `autoRetrain`, adds retrain on their own once that count is reached in full; `compact()`
   * retrains earlier and is the only retraining with `autoRetrain: false`.)
   *
   * @throws MaxsimError `INDEX_READ_ONLY`, `INDEX_CLOSED`, `IO_ERROR`
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(await index.delete(["a", "unknown"])); // 1
   * await index.compact(); // rewrites the segments without "a"
   * console.log([...index.ids()]); // [ 'b' ]
   * ```
   */
  compact(): Promise<void> {
    return this.ctx.gate.exclusive(() => compactIndex(this.ctx));
  }

  /** Replaces the owner metadata (everything in the manifest meta but the index state) in one commit. */
  setMeta(meta: Record<string, unknown>): Promise<void> {
    try {
      meta = checkOwnerMeta("MaxSimIndex.setMeta", meta);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ctx.gate.exclusive(async () => {
      await this.ctx.store.commit({ meta: { ...meta, [STATE_KEY]: this.ctx.state } });
    });
  }

  /** Releases the writer lock; further calls fail. */
  async close(): Promise<void> {
    if (this.ctx.gate.closed) return;
    await this.ctx.gate.close();
    await this.table.tier?.files.closeAll();
    await this.ctx.store.close();
  }

  /** Bytes per token on disk for this codec: vector payload + centroid id once trained. */
  bytesPerToken(): number {
    const ci = this.table.centroidIndex;
    const code = ci !== null ? (ci.k <= 65536 ? 2 : 4) : 0;
    return code + this.table.arena.bytesPerRow + (this.table.tier !== null ? 2 * this.dim : 0);
  }

  /**
   * Bytes the stored token vectors take in memory: the codec's form of every row (live or
   * deleted until compaction), plus the centroid ids once trained (2 bytes each up to 65,536
   * centroids), the same bytes per token as on disk. Excludes ids, payloads and the centroid index.
   *
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const index = MaxSimIndex.inMemory({ dim: 4, codec: "float16" });
   * await index.add([{ id: "a", embeddings: { data: new Float32Array(8).fill(0.5), length: 2, dim: 4 } }]);
   * console.log(index.vectorBytesInMemory()); // 16
   * ```
   */
  vectorBytesInMemory(): number {
    const table = this.table;
    return table.arena.bytes + (table.centroidIndex !== null ? table.codes.BYTES_PER_ELEMENT * table.tokens : 0);
  }
}

/** An empty slot table for a new index (with its disk tier when the state asks for one). */
function emptyTable(store: IndexStore, state: IndexState, dim: number): SlotTable {
  const table = new SlotTable(dim, state.codec);
  if (state.diskTier !== undefined) table.tier = new TierRows(new TierFiles(store), dim);
  return table;
}
