/**
 * `MaxSimIndex`: the vectors-only multi-vector index — exact search on the ONNX Runtime MaxSim
 * kernel, PLAID-style approximate search (k-means centroids + hnswlib-node + inverted lists, see
 * `plaid.ts`), incremental add/upsert/delete, compaction with centroid retraining, and id filters.
 * Everything persists through the storage layer's `IndexStore` (one commit per write, so a crash
 * leaves the last committed state), and documents may carry a JSON payload committed with their
 * vectors (what `Collection` uses for text and metadata).
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
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { checkVectors, type TokenBlocks } from "../scoring/flat-tokens.js";
import { scoreFlatJs } from "../scoring/js-kernel.js";
import { maxsimExplain, type TokenMatchScore } from "../scoring/maxsim.js";
import { scoreFlatOrt } from "../scoring/ort-kernel.js";
import { getCodec } from "../storage/codecs/registry.js";
import { IndexStore } from "../storage/index-store.js";
import { manifestFileName } from "../storage/manifest.js";
import type { ColumnArray } from "../storage/segment.js";
import type { NewSegment } from "../storage/store-types.js";
import { throwIfAborted } from "../errors.js";
import type { TokenVectors } from "../types.js";
import { assignNearest, trainKMeans } from "./kmeans.js";
import { CentroidIndex, centroidIdArray, centroidInteraction, nthLargest, type CentroidIds } from "./plaid.js";
import {
  decodeResidualState,
  encodeResidualState,
  fitResidualQuantizer,
  residualBytes,
  type ResidualQuantizer,
} from "./residual-codec.js";
import { Float16Arena, Float32Arena, ResidualArena, type TokenArena } from "./token-arena.js";
import { TopK } from "./top-k.js";
import type { ExactSearchOptions, IdFilter, IndexCodec, IndexSnapshot, SearchHit, SearchOptions } from "./types.js";
import { checkCentroids, checkState, checkSegmentValues, checkUniqueId, checkWriteArgs, idList, indexOpenOptions, queryList, indexOptions, ownerMeta, searchOptions } from "./boundary.js";

/** One document to add: its id, token vectors and an optional JSON payload. */
export interface IndexItem {
  id: string;
  embeddings: TokenVectors;
  /** JSON-serialisable value stored in the same commit (e.g. `{ text, metadata }`). */
  payload?: unknown;
}

/** Options of {@link MaxSimIndex.create} and {@link MaxSimIndex.inMemory}. */
export interface MaxSimIndexOptions {
  dim: number;
  /** @defaultValue "float32" */
  codec?: IndexCodec;
  /** Token count from which the index trains centroids and `search` becomes approximate. @defaultValue 32768 */
  minTrainTokens?: number;
  /** Centroid count; by default ≈ 4·√tokens (a power of two, as PLAID picks it). */
  centroids?: number;
  /** k-means seed. @defaultValue 1234 */
  seed?: number;
  /** Free-form JSON stored in the manifest for the index's owner (e.g. the Collection's model id). */
  meta?: Record<string, unknown>;
  /**
   * Retrain centroids automatically once the tokens added since the last training reach the
   * count they were trained on (checked after every add/upsert, retrained in the same exclusive
   * section through the commit path `compact()` uses). Stored in the index, so it survives
   * reopening. `false` keeps centroids until an explicit {@link MaxSimIndex.compact}.
   * @defaultValue true
   */
  autoRetrain?: boolean;
}

/** Options of {@link MaxSimIndex.open}. */
export interface MaxSimIndexOpenOptions {
  /** Open without the writer lock; writes fail with `INDEX_READ_ONLY`. @defaultValue false */
  readOnly?: boolean;
  /**
   * Checks each live document's payload when a snapshot is loaded (open and every `refresh`);
   * return a problem (e.g. `"its text is not a string"`) to fail the load with an
   * {@link IndexCorruptError} naming the segment file, instead of serving it.
   */
  checkPayload?: (payload: unknown, id: string) => string | undefined;
}

/** Index state kept in the manifest `meta` under {@link STATE_KEY}. */
interface IndexState {
  format: 1;
  codec: IndexCodec;
  minTrainTokens: number;
  centroids: number | null;
  seed: number;
  trained: boolean;
  trainedTokens: number;
  trainError: number;
  postTokens: number;
  postErrorSum: number;
  /** Absent in indexes written before the option existed: treated as `true`. */
  autoRetrain?: boolean;
}

const STATE_KEY = "maxsimIndex";
const CODECS: readonly IndexCodec[] = ["float32", "float16", "residual-2", "residual-4"];
const SEGMENT_TOKENS = 1 << 18; // tokens per segment when rewriting (≈ 128 MB of float32 at dim 128)
const DECODE_BLOCK = 1 << 16; // rows decoded at a time when retraining (32 MB of float32 at dim 128)
const JS_KERNEL_TOKENS = 512; // below this many document tokens, the JS kernel beats a session call
/** Loads of a snapshot retried when a writer garbage-collects it mid-load (`INDEX_STALE`). */
const STALE_RETRIES = 5;

function residualBits(codec: IndexCodec): 2 | 4 | null {
  return codec === "residual-2" ? 2 : codec === "residual-4" ? 4 : null;
}

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
 * console.log(JSON.stringify(await index.search(v([1, 0]), { k: 2 }))); // [{"id":"a","score":1},{"id":"b","score":0.5}]
 * ```
 */
export class MaxSimIndex {
  readonly dim: number;
  readonly codec: IndexCodec;
  private state: IndexState;
  // All token vectors of all slots (live or dead), back to back, in the codec's form.
  private arena: TokenArena;
  private tokens = 0;
  private offsets: Int32Array;
  private slots = 0;
  private codes: CentroidIds = new Uint16Array(0);
  private slotIds: string[] = [];
  private alive = new Uint8Array(0);
  private payloads: unknown[] = [];
  private idToSlot = new Map<string, number>();
  private liveTokens = 0;
  private liveCount = 0;
  private flatCache: TokenBlocks | null = null;
  private centroidIndex: CentroidIndex | null = null;
  private quantizer: ResidualQuantizer | null = null;
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Running {@link MaxSimIndex.bulk} calls: training waits until the last one ends. */
  private bulkDepth = 0;
  /** Manifest generation and meta the in-memory state was loaded from (readers; see `refresh`). */
  private loadedGeneration: number;
  private loadedMeta: Record<string, unknown>;
  /** Searches in flight, and the swap of a refresh waiting for them to finish. */
  private reads = 0;
  private readsDrained: (() => void) | null = null;
  private swapPending: Promise<void> | null = null;
  /** The open option of the same name, applied at every load. */
  private checkPayload: MaxSimIndexOpenOptions["checkPayload"];

  private constructor(
    private readonly store: IndexStore,
    state: IndexState,
  ) {
    this.dim = store.manifest.dim;
    this.codec = state.codec;
    this.state = state;
    this.arena = this.newArena(null, null);
    this.offsets = new Int32Array(1024);
    this.loadedGeneration = store.manifest.generation;
    this.loadedMeta = store.manifest.meta;
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
    return new MaxSimIndex(store, state);
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
    return new MaxSimIndex(store, state);
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
      return (await MaxSimIndex.loadNewest(store, null, options.checkPayload))!;
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
   * console.log(JSON.stringify(await reader.search(v([0, 1]), { k: 1 }))); // [{"id":"b","score":1}]
   * await reader.close();
   * await writer.close();
   * ```
   */
  refresh(): Promise<boolean> {
    if (!this.store.readOnly && !this.closed) return Promise.resolve(false);
    return this.exclusive(async () => {
      const fresh = await MaxSimIndex.loadNewest(this.store, this.loadedGeneration, this.checkPayload);
      if (fresh === null) return false;
      await this.swapIn(fresh);
      return true;
    });
  }

  /**
   * Runs `fn` on one snapshot of the index: until the promise it returns settles, no refresh
   * swap, write, delete, compaction or retraining changes what `snapshot` answers (they wait for
   * it; reads do not wait for each other). `Collection` reads (filter ids, search, payloads) run
   * in one pin each.
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
    if (this.closed) return Promise.reject(new MaxsimError("INDEX_CLOSED", "The index is closed. Open it again to use it."));
    const view: IndexSnapshot = {
      size: this.liveCount,
      has: (id) => this.has(id),
      ids: () => this.ids(),
      get: (id) => this.get(id),
      getPayload: (id) => this.getPayload(id),
      search: (query, options) => this.searchNow(query, options),
      searchExact: (query, options) => this.searchExactNow(query, options),
      explain: (query, id) => this.explain(query, id),
    };
    return this.read(async () => fn(view));
  }

  /** Number of live documents. */
  get size(): number {
    return this.liveCount;
  }

  /** Owner metadata from the manifest (everything but the index's own state). */
  get meta(): Record<string, unknown> {
    // A reader's store moves to the next manifest before its snapshot is swapped in (refresh).
    const { [STATE_KEY]: _state, ...rest } = this.store.readOnly ? this.loadedMeta : this.store.manifest.meta;
    return rest;
  }

  /** True once centroids are trained (and `search` is approximate). */
  get trained(): boolean {
    return this.centroidIndex !== null;
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
    return this.centroidIndex === null ? 0 : this.state.trainedTokens;
  }

  /** Tokens added (or upserted) since the centroids were last trained (0 while untrained). */
  get tokensSinceTraining(): number {
    return this.centroidIndex === null ? 0 : this.state.postTokens;
  }

  /** The directory, or `null` in memory. */
  get dir(): string | null {
    return this.store.dir;
  }

  /** True when a document with this id is stored. */
  has(id: string): boolean {
    return this.idToSlot.has(id);
  }

  /** Ids of all stored documents, in insertion order. */
  *ids(): IterableIterator<string> {
    for (let s = 0; s < this.slots; s++) if (this.alive[s] === 1) yield this.slotIds[s]!;
  }

  /** A copy of a document's token vectors (as stored: decoded by the codec), or `undefined`. */
  get(id: string): TokenVectors | undefined {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return undefined;
    const lo = this.offsets[slot]!;
    const hi = this.offsets[slot + 1]!;
    return { data: this.arena.decode(lo, hi, new Float32Array((hi - lo) * this.dim)), length: hi - lo, dim: this.dim };
  }

  /** The payload stored with a document, or `undefined` (none, or unknown id). */
  getPayload(id: string): unknown {
    const slot = this.idToSlot.get(id);
    return slot === undefined ? undefined : (this.payloads[slot] ?? undefined);
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
    return this.exclusive(() => this.write(items, false));
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
    if (this.closed || this.store.readOnly) return;
    await this.exclusive(() => this.trainIfDue());
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
    return this.exclusive(() => this.write(items, true));
  }

  /**
   * Deletes documents; unknown ids are ignored. Returns how many were deleted.
   *
   * @throws MaxsimError `INDEX_READ_ONLY`, `INDEX_CLOSED`, `IO_ERROR`
   */
  delete(ids: readonly string[]): Promise<number> {
    try {
      idList("MaxSimIndex.delete", ids);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.exclusive(async () => {
      const known = [...new Set(ids)].filter((id) => this.idToSlot.has(id));
      if (known.length === 0) return 0;
      await this.store.commit({ deleteIds: known, meta: this.metaWith(this.state) });
      // After pinned reads (see `pin`): a read never sees a document vanish halfway.
      await this.quiesce(() => {
        for (const id of known) this.kill(id);
      });
      return known.length;
    });
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
   * console.log(JSON.stringify(await index.searchExact(v([1, 0]), { k: 10, filter: new Set(["b"]) }))); // [{"id":"b","score":0.5}]
   * ```
   */
  searchExact(query: TokenVectors, options: ExactSearchOptions): Promise<SearchHit[]> {
    return this.read(() => this.searchExactNow(query, options));
  }

  private async searchExactNow(query: TokenVectors, options: ExactSearchOptions): Promise<SearchHit[]> {
    this.checkSearch(query, options?.k, options);
    throwIfAborted(options.signal);
    if (this.liveCount === 0) return [];
    const accept = this.acceptor(options.filter);
    if (options.filter !== undefined) {
      const matching = this.matchingSlots(accept);
      if (matching.length * 8 < this.liveCount) return this.scoreSlots(query, matching, options.k);
    }
    // Slots added while the kernel runs are not in `scores`: loop over the scored ones only.
    const ids = this.slotIds;
    const [scores] = await scoreFlatOrt([query], this.flat());
    throwIfAborted(options.signal);
    const top = new TopK(options.k);
    for (let s = 0; s < scores!.length; s++) if (accept(s)) top.push(ids[s]!, scores![s]!);
    return top.result();
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
    return this.read(() => this.searchExactBatchNow(queries, options));
  }

  private async searchExactBatchNow(queries: readonly TokenVectors[], options: ExactSearchOptions): Promise<SearchHit[][]> {
    queryList("MaxSimIndex.searchExactBatch", queries);
    for (const q of queries) this.checkSearch(q, options?.k, options);
    throwIfAborted(options.signal);
    if (this.liveCount === 0) return queries.map(() => []);
    const accept = this.acceptor(options.filter);
    if (options.filter !== undefined) {
      const matching = this.matchingSlots(accept);
      if (matching.length * 8 < this.liveCount) return Promise.all(queries.map((q) => this.scoreSlots(q, matching, options.k)));
    }
    const out: SearchHit[][] = [];
    const ids = this.slotIds;
    for (let i = 0; i < queries.length; i += 8) {
      const group = queries.slice(i, i + 8);
      const scores = await scoreFlatOrt([...group], this.flat());
      throwIfAborted(options.signal);
      for (const sc of scores) {
        const top = new TopK(options.k);
        for (let s = 0; s < sc.length; s++) if (accept(s)) top.push(ids[s]!, sc[s]!);
        out.push(top.result());
      }
    }
    return out;
  }

  /**
   * Approximate MaxSim top-k (the default): PLAID-style candidates from centroid inverted lists,
   * rescored exactly. Untrained (small) indexes and filters matching few documents are searched
   * exactly, so results are the exact top-k among matching documents there.
   *
   * @throws as {@link MaxSimIndex.searchExact}
   * @example
   * ```ts
   * import { MaxSimIndex } from "@maxsim/core";
   * const v = (...rows: number[][]) => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 });
   * const index = MaxSimIndex.inMemory({ dim: 2 });
   * await index.add([{ id: "a", embeddings: v([1, 0], [0, 1]) }, { id: "b", embeddings: v([0.5, 0.5]) }]);
   * console.log(JSON.stringify(await index.search(v([1, 0], [0, 1]), { k: 10 }))); // [{"id":"a","score":2},{"id":"b","score":1}]
   * ```
   */
  search(query: TokenVectors, options: SearchOptions): Promise<SearchHit[]> {
    return this.read(() => this.searchNow(query, options));
  }

  private async searchNow(query: TokenVectors, options: SearchOptions): Promise<SearchHit[]> {
    this.checkSearch(query, options?.k, options);
    throwIfAborted(options.signal);
    if (this.liveCount === 0) return [];
    const centroids = this.centroidIndex;
    if (centroids === null) return this.searchExactNow(query, options);
    const accept = this.acceptor(options.filter);
    let matchCount = this.liveCount;
    if (options.filter !== undefined) {
      const matching = this.matchingSlots(accept);
      const threshold = Math.max(options.exactBelow ?? 2000, Math.floor(this.liveCount / 100));
      if (matching.length <= threshold || matching.length <= options.k) return this.scoreSlots(query, matching, options.k);
      matchCount = matching.length;
    } else if (options.k >= this.liveCount) {
      return this.searchExactNow(query, options); // k ≥ size: every document, exactly
    }
    const nprobe = positiveInt(options.nprobe ?? 8, "nprobe");
    const want = positiveInt(options.candidates ?? Math.max(512, 32 * options.k), "candidates");
    const rescore = positiveInt(options.rescore ?? Math.max(128, 8 * options.k), "rescore");
    const candidates = centroids.candidates(query, this.slots, nprobe, Math.max(want, options.k), accept);
    throwIfAborted(options.signal);
    // Too few probed documents to fill k (tiny nprobe, or a restrictive filter): score all matching.
    if (candidates.length < Math.min(options.k, matchCount)) return this.searchExactNow(query, options);
    if (candidates.length <= Math.max(rescore, options.k)) return this.scoreSlots(query, candidates, options.k);
    // PLAID stage 3: full centroid interaction on the candidates; stage 4: exact on the best.
    const offsets = this.offsets;
    const codes = this.codes;
    const sims = await centroids.centroidSimilarities(query);
    const approx = centroidInteraction(sims, query.length, candidates, offsets, codes);
    const keep = Math.max(rescore, options.k);
    const threshold = nthLargest(approx.slice(), keep);
    const best: number[] = [];
    candidates.forEach((s, i) => {
      if (approx[i]! > threshold) best.push(s);
    });
    candidates.forEach((s, i) => {
      if (approx[i] === threshold && best.length < keep) best.push(s);
    });
    return this.scoreSlots(query, Int32Array.from(best), options.k);
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
   * console.log(JSON.stringify(await index.rerank(v([1, 0]), ["b", "a"], { k: 1 }))); // [{"id":"a","score":1}]
   * ```
   */
  rerank(query: TokenVectors, ids: readonly string[], options: { k?: number } = {}): Promise<SearchHit[]> {
    return this.read(() => this.rerankNow(query, ids, options));
  }

  private async rerankNow(query: TokenVectors, ids: readonly string[], options: { k?: number }): Promise<SearchHit[]> {
    const unique = [...new Set(ids)];
    this.checkSearch(query, options.k ?? Math.max(1, unique.length));
    const slots = unique.map((id) => {
      const slot = this.idToSlot.get(id);
      if (slot === undefined) throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Rerank only stored ids (check index.has(id)).`);
      return slot;
    });
    if (slots.length === 0) return [];
    return this.scoreSlots(query, Int32Array.from(slots), options.k ?? slots.length);
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
    if (doc === undefined) throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)} in the index. Explain only stored ids (check index.has(id)).`);
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
    return this.exclusive(async () => {
      const st = this.state;
      const drift =
        st.trained &&
        (st.postTokens >= 0.5 * st.trainedTokens || (st.postTokens > 0 && st.postErrorSum / st.postTokens > 1.2 * st.trainError));
      const untrainedBig = !st.trained && this.liveTokens >= st.minTrainTokens;
      await this.rewrite(drift || untrainedBig);
    });
  }

  /** Replaces the owner metadata (everything in the manifest meta but the index state) in one commit. */
  setMeta(meta: Record<string, unknown>): Promise<void> {
    try {
      meta = ownerMeta("MaxSimIndex.setMeta", meta);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.exclusive(async () => {
      await this.store.commit({ meta: { ...meta, [STATE_KEY]: this.state } });
    });
  }

  /** Releases the writer lock; further calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writing.catch(() => undefined);
    this.closed = true;
    await this.store.close();
  }

  /** Bytes per token on disk for this codec: vector payload + centroid id once trained. */
  bytesPerToken(): number {
    const code = this.trained ? (this.centroidIndex!.k <= 65536 ? 2 : 4) : 0;
    return code + this.arena.bytesPerRow;
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
    return this.arena.bytes + (this.centroidIndex !== null ? this.codes.BYTES_PER_ELEMENT * this.tokens : 0);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Loads the store's newest snapshot into a new index over the same store, or returns `null`
   * when it is still generation `known`. A load that hits `INDEX_STALE` (a writer garbage-collected
   * the snapshot's files meanwhile) moves the store to the newest manifest and loads again.
   */
  private static async loadNewest(store: IndexStore, known: number | null, checkPayload?: MaxSimIndexOpenOptions["checkPayload"]): Promise<MaxSimIndex | null> {
    for (let attempt = 0; ; attempt++) {
      if (known !== null || attempt > 0) await store.refresh();
      if (store.manifest.generation === known) return null;
      const state = store.manifest.meta[STATE_KEY] as IndexState | undefined;
      if (state?.format !== 1 || !CODECS.includes(state.codec)) {
        throw new MaxsimError("INVALID_OPTION", `${store.dir ?? "The store"} is an index store but not a MaxSimIndex (no ${STATE_KEY} state in its manifest). Open it with the API that created it.`);
      }
      checkState(manifestFileName(store.manifest.generation), store.manifest.codec, state);
      const index = new MaxSimIndex(store, { ...state });
      index.checkPayload = checkPayload;
      try {
        await index.load();
        return index;
      } catch (error) {
        if (!(MaxsimError.isInstance(error) && error.code === "INDEX_STALE") || !store.readOnly) throw error;
        if (attempt + 1 >= STALE_RETRIES) {
          throw new MaxsimError(
            "INDEX_STALE",
            `${store.dir ?? "The index"} changed faster than it could be loaded: a writer garbage-collected ${STALE_RETRIES} snapshots in a row while they were read. Call refresh() (or open) again when the writer commits less often.`,
            { cause: error },
          );
        }
      }
    }
  }

  /** Takes over the in-memory state of `fresh` (same store), once no search is running. */
  private swapIn(fresh: MaxSimIndex): Promise<void> {
    return this.quiesce(() => {
      this.state = fresh.state;
      this.arena = fresh.arena;
      if (this.arena instanceof ResidualArena) this.arena.codesOf = () => this.codes;
      this.tokens = fresh.tokens;
      this.offsets = fresh.offsets;
      this.slots = fresh.slots;
      this.codes = fresh.codes;
      this.slotIds = fresh.slotIds;
      this.alive = fresh.alive;
      this.payloads = fresh.payloads;
      this.idToSlot = fresh.idToSlot;
      this.liveTokens = fresh.liveTokens;
      this.liveCount = fresh.liveCount;
      this.centroidIndex = fresh.centroidIndex;
      this.quantizer = fresh.quantizer;
      this.flatCache = null;
      this.loadedGeneration = fresh.loadedGeneration;
      this.loadedMeta = fresh.loadedMeta;
    });
  }

  /**
   * Runs `change` once no search is running (searches arriving meanwhile wait for it), in one
   * synchronous block: a search sees the state before or after it, never a mix. Searches hold
   * views of the offsets, ids, arena rows and centroid ids across their awaits, so everything
   * that rewrites those in place or replaces them together goes through here.
   */
  private async quiesce(change: () => void): Promise<void> {
    let release!: () => void;
    this.swapPending = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.reads > 0) await new Promise<void>((resolve) => (this.readsDrained = resolve));
      this.readsDrained = null;
      change();
    } finally {
      this.swapPending = null;
      release();
    }
  }

  /** Runs a search; a pending snapshot swap first (searches started earlier finish before it). */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.swapPending !== null) await this.swapPending;
    this.reads++;
    try {
      return await fn();
    } finally {
      if (--this.reads === 0) this.readsDrained?.();
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MaxsimError("INDEX_CLOSED", "The index is closed. Open it again to use it."));
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private checkSearch(query: TokenVectors, k: number, options?: object): void {
    if (options !== undefined) searchOptions("MaxSimIndex.search", options);
    if (!Number.isInteger(k) || k < 1) {
      throw new MaxsimError("INVALID_OPTION", `k must be an integer ≥ 1 (got ${k}). Ask for at least one hit.`);
    }
    checkVectors(query, "The query", this.dim);
  }

  private metaWith(state: IndexState): Record<string, unknown> {
    return { ...this.meta, [STATE_KEY]: state };
  }

  private acceptor(filter: IdFilter | undefined): (slot: number) => boolean {
    const alive = this.alive;
    const ids = this.slotIds;
    if (filter === undefined) return (s) => alive[s] === 1;
    if (typeof filter === "function") return (s) => alive[s] === 1 && filter(ids[s]!);
    return (s) => alive[s] === 1 && filter.has(ids[s]!);
  }

  private matchingSlots(accept: (slot: number) => boolean): Int32Array {
    const out: number[] = [];
    for (let s = 0; s < this.slots; s++) if (accept(s)) out.push(s);
    return Int32Array.from(out);
  }

  private flat(): TokenBlocks {
    const arena = this.arena;
    this.flatCache ??= {
      offsets: this.offsets.subarray(0, this.slots + 1),
      dim: this.dim,
      rows: (lo, hi, scratch) => arena.block(lo, hi, scratch),
    };
    return this.flatCache;
  }

  /** Exact scores of `slots` (their rows decoded into one small buffer), top k. */
  private async scoreSlots(query: TokenVectors, slots: Int32Array, k: number): Promise<SearchHit[]> {
    if (slots.length === 0) return [];
    const dim = this.dim;
    let total = 0;
    for (const s of slots) total += this.offsets[s + 1]! - this.offsets[s]!;
    const data = new Float32Array(total * dim);
    const offsets = new Int32Array(slots.length + 1);
    let at = 0;
    slots.forEach((s, i) => {
      const lo = this.offsets[s]!;
      const hi = this.offsets[s + 1]!;
      this.arena.decode(lo, hi, data, at);
      at += hi - lo;
      offsets[i + 1] = at;
    });
    const flat = { data, offsets, dim };
    const scores = total <= JS_KERNEL_TOKENS ? scoreFlatJs(query, flat) : (await scoreFlatOrt([query], flat))[0]!;
    const top = new TopK(k);
    slots.forEach((s, i) => top.push(this.slotIds[s]!, scores[i]!));
    return top.result();
  }

  private validateItems(items: readonly IndexItem[], upsert: boolean): void {
    checkWriteArgs(upsert ? "MaxSimIndex.upsert" : "MaxSimIndex.add", items);
    const seen = new Set<string>();
    for (const item of items) {
      if (typeof item?.id !== "string" || item.id.length === 0) {
        throw new MaxsimError("INVALID_ID", `Document id ${JSON.stringify(item?.id)} is not a non-empty string. Give every document a string id.`);
      }
      if (seen.has(item.id)) {
        throw new MaxsimError("DUPLICATE_ID", `Id ${JSON.stringify(item.id)} appears twice in one batch. Give each document one entry.`);
      }
      seen.add(item.id);
      if (!upsert && this.idToSlot.has(item.id)) {
        throw new MaxsimError("DUPLICATE_ID", `A document with id ${JSON.stringify(item.id)} is already stored. Use upsert() to replace it, or delete it first.`);
      }
      checkVectors(item.embeddings, `Document ${JSON.stringify(item.id)}`, this.dim);
    }
  }

  private async write(items: readonly IndexItem[], upsert: boolean): Promise<void> {
    this.validateItems(items, upsert);
    if (items.length === 0) return;
    const dim = this.dim;
    let total = 0;
    for (const item of items) total += item.embeddings.length;
    const vectors = new Float32Array(total * dim);
    const offsets = new Int32Array(items.length + 1);
    items.forEach((item, i) => {
      vectors.set(item.embeddings.data.subarray(0, item.embeddings.length * dim), offsets[i]! * dim);
      offsets[i + 1] = offsets[i]! + item.embeddings.length;
    });
    const payloads = items.some((i) => i.payload !== undefined) ? items.map((i) => i.payload ?? null) : undefined;
    let codes: Int32Array | null = null;
    const state = { ...this.state };
    if (this.centroidIndex !== null) {
      const assigned = await assignNearest(vectors, dim, this.centroidIndex.centroids);
      codes = assigned.codes;
      for (const s of assigned.sims) state.postErrorSum += 1 - s;
      state.postTokens += total;
    }
    const replaced = upsert ? items.map((i) => i.id).filter((id) => this.idToSlot.has(id)) : [];
    // Encode into the arena past the registered rows (searches do not see them yet); the segment
    // is a copy of those bytes. A failed commit drops them again.
    const base = this.tokens;
    this.arena.append(vectors, codes);
    try {
      const columns = { ...this.arena.columns(base, base + total), ...(codes !== null ? { codes: narrowCodes(codes, this.centroidIndex!.k) } : {}) };
      await this.store.commit({
        addSegments: [{ ids: items.map((i) => i.id), columns: { ...columns, offsets }, payloads, meta: { tokens: total } }],
        ...(replaced.length > 0 ? { deleteIds: replaced } : {}),
        meta: this.metaWith(state),
      });
    } catch (error) {
      this.arena.truncate(base);
      throw error;
    }
    await this.quiesce(() => {
      this.state = state;
      for (const id of replaced) this.kill(id);
      items.forEach((item, i) => this.register(item.id, offsets[i + 1]! - offsets[i]!, codes?.subarray(offsets[i]!, offsets[i + 1]!) ?? null, payloads?.[i], true));
    });
    if (this.bulkDepth === 0) await this.trainIfDue();
  }

  /** Trains (big enough, untrained) or retrains (doubling rule, with `autoRetrain`) when due. */
  private async trainIfDue(): Promise<void> {
    const st = this.state;
    if (this.centroidIndex === null) {
      if (this.liveTokens >= st.minTrainTokens) await this.rewrite(true);
    } else if (st.autoRetrain !== false && st.trainedTokens > 0 && st.postTokens >= st.trainedTokens) {
      // Doubling rule: each retraining on T tokens follows ≥ T added ones, so the total
      // retraining work is O(tokens ever added). A crash between the two commits leaves the
      // added documents committed under the old centroids (a consistent state).
      await this.rewrite(true);
    }
  }

  /** An empty arena for this codec: residual rows once a quantiser exists, else float rows. */
  private newArena(centroidIndex: CentroidIndex | null, quantizer: ResidualQuantizer | null): TokenArena {
    if (residualBits(this.codec) !== null && centroidIndex !== null && quantizer !== null) {
      return new ResidualArena(this.dim, quantizer, centroidIndex.centroids, () => this.codes);
    }
    // Residual codecs hold float16 until training: the token is quantised once, from float16.
    return this.codec === "float32" ? new Float32Arena(this.dim) : new Float16Arena(this.dim);
  }

  /**
   * Registers a document whose `n` rows were just appended to the arena. Dead slots (rows of ids
   * deleted in a later commit, met while loading) keep their rows until compaction.
   */
  private register(id: string, n: number, codes: CentroidIds | null, payload: unknown, alive: boolean): void {
    if (this.slots + 2 > this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    if (this.slots + 1 > this.alive.length) {
      const next = new Uint8Array(Math.max(1024, this.alive.length * 2));
      next.set(this.alive);
      this.alive = next;
    }
    if (codes !== null && this.tokens + n > this.codes.length) {
      const next = centroidIdArray(this.centroidIndex!.k, Math.max(this.codes.length * 2, this.tokens + n, 1024));
      next.set(this.codes.subarray(0, this.tokens));
      this.codes = next;
    }
    if (codes !== null) this.codes.set(codes, this.tokens);
    const slot = this.slots;
    this.offsets[slot] = this.tokens;
    this.tokens += n;
    this.offsets[slot + 1] = this.tokens;
    this.slots++;
    this.slotIds[slot] = id;
    this.flatCache = null;
    if (codes !== null) this.centroidIndex?.addDocument(slot, codes);
    if (!alive) return;
    this.alive[slot] = 1;
    this.payloads[slot] = payload;
    this.idToSlot.set(id, slot);
    this.liveCount++;
    this.liveTokens += n;
  }

  private kill(id: string): void {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return;
    this.idToSlot.delete(id);
    this.alive[slot] = 0;
    this.payloads[slot] = undefined;
    this.liveCount--;
    this.liveTokens -= this.offsets[slot + 1]! - this.offsets[slot]!;
  }

  /** Drops dead slots from memory (keeps order). */
  private compactMemory(): void {
    let t = 0;
    let n = 0;
    const hasCodes = this.centroidIndex !== null;
    for (let s = 0; s < this.slots; s++) {
      if (this.alive[s] !== 1) continue;
      const lo = this.offsets[s]!;
      const hi = this.offsets[s + 1]!;
      this.arena.copyWithin(t, lo, hi);
      if (hasCodes) this.codes.copyWithin(t, lo, hi);
      this.offsets[n] = t;
      this.slotIds[n] = this.slotIds[s]!;
      this.payloads[n] = this.payloads[s];
      this.alive[n] = 1;
      this.idToSlot.set(this.slotIds[n]!, n);
      t += hi - lo;
      n++;
    }
    this.offsets[n] = t;
    this.alive.fill(0, n);
    this.slotIds.length = n;
    this.payloads.length = n;
    this.slots = n;
    this.tokens = t;
    this.arena.truncate(t);
    this.flatCache = null;
  }

  /** Calls `fn` on consecutive blocks of the arena's rows `[0, tokens)`, decoded to float32. */
  private async eachDecodedBlock(arena: TokenArena, fn: (rows: Float32Array, lo: number, hi: number) => Promise<void> | void): Promise<void> {
    const block = Math.min(this.tokens, DECODE_BLOCK);
    const scratch = new Float32Array(block * this.dim);
    for (let lo = 0; lo < this.tokens; lo += block) {
      const hi = Math.min(this.tokens, lo + block);
      await fn(arena.decode(lo, hi, scratch.subarray(0, (hi - lo) * this.dim)), lo, hi);
    }
  }

  /** Rewrites every segment from memory (compaction), training centroids first when `train`. */
  private async rewrite(train: boolean): Promise<void> {
    await this.quiesce(() => {
      this.compactMemory();
      this.rebuildLists(); // slots were renumbered: searches during the commit must see fresh lists
    });
    const dim = this.dim;
    const state = { ...this.state };
    let centroidIndex = this.centroidIndex;
    let quantizer = this.quantizer;
    let codes: CentroidIds = this.codes.subarray(0, this.tokens);
    let arena = this.arena;
    const blobs: Record<string, Uint8Array | null> = {};
    if (train && this.tokens > 0) {
      const k = Math.min(this.tokens, state.centroids ?? defaultCentroids(this.tokens));
      const centroids = await trainKMeans(this.arena, dim, { k, seed: state.seed });
      // Assign block by block: only one decoded block exists at a time, whatever the codec.
      const ids = centroidIdArray(centroids.length / dim, this.tokens);
      codes = ids;
      let err = 0;
      await this.eachDecodedBlock(this.arena, async (rows, lo) => {
        const assigned = await assignNearest(rows, dim, centroids);
        ids.set(assigned.codes, lo);
        for (const s of assigned.sims) err += 1 - s;
      });
      state.trained = true;
      state.trainedTokens = this.tokens;
      state.trainError = err / Math.max(1, this.tokens);
      state.postTokens = 0;
      state.postErrorSum = 0;
      centroidIndex = new CentroidIndex(centroids, dim);
      blobs["centroids.f32"] = new Uint8Array(centroids.buffer.slice(centroids.byteOffset, centroids.byteOffset + centroids.byteLength));
      const bits = residualBits(this.codec);
      if (bits !== null) {
        // Fit on a strided sample of tokens (8192 tokens ≈ 1M values is plenty for quantiles).
        const stride = Math.max(1, Math.floor(this.tokens / 8192));
        const rows: number[] = [];
        for (let t = 0; t < this.tokens; t += stride) rows.push(t);
        const sample = new Float32Array(rows.length * dim);
        rows.forEach((t, i) => this.arena.copyRow(t, sample, i));
        quantizer = fitResidualQuantizer(sample, Int32Array.from(rows, (t) => codes[t]!), centroids, dim, bits);
        blobs["residual.json"] = encodeResidualState(quantizer);
        // Re-encode every row against the new centroids (the old arena stays readable meanwhile).
        arena = this.newArena(centroidIndex, quantizer);
        await this.eachDecodedBlock(this.arena, (block, lo, hi) => arena.append(block, codes.subarray(lo, hi)));
      }
    }
    const segments: NewSegment[] = [];
    let s = 0;
    while (s < this.slots) {
      let e = s + 1;
      while (e < this.slots && this.offsets[e + 1]! - this.offsets[s]! <= SEGMENT_TOKENS) e++;
      const lo = this.offsets[s]!;
      const hi = this.offsets[e]!;
      const offsets = new Int32Array(e - s + 1);
      for (let i = s; i <= e; i++) offsets[i - s] = this.offsets[i]! - lo;
      const columns = { ...arena.columns(lo, hi), ...(centroidIndex !== null ? { codes: narrowCodes(codes.subarray(lo, hi), centroidIndex.k) } : {}) };
      const payloads = this.payloads.slice(s, e);
      segments.push({
        ids: this.slotIds.slice(s, e),
        columns: { ...columns, offsets },
        payloads: payloads.some((p) => p !== undefined) ? payloads.map((p) => p ?? null) : undefined,
        meta: { tokens: hi - lo },
      });
      s = e;
    }
    await this.store.commit({
      addSegments: segments,
      removeSegments: this.store.manifest.segments.map((x) => x.name),
      blobs,
      meta: this.metaWith(state),
    });
    this.state = state;
    if (train && centroidIndex !== null) {
      // Searches running on the old centroids, ids and rows finish first (an old residual row
      // decoded with a new centroid id would be garbage).
      await this.quiesce(() => {
        this.codes = codes;
        this.arena = arena;
        this.centroidIndex = centroidIndex;
        this.quantizer = quantizer;
        this.rebuildLists();
        this.flatCache = null;
      });
    }
    this.flatCache = null;
  }

  private rebuildLists(): void {
    const ci = this.centroidIndex;
    if (ci === null) return;
    ci.clearLists();
    for (let slot = 0; slot < this.slots; slot++) ci.addDocument(slot, this.codes.subarray(this.offsets[slot]!, this.offsets[slot + 1]!));
  }

  /** Loads every segment of the store's snapshot into memory. */
  private async load(): Promise<void> {
    const dim = this.dim;
    if (this.state.trained) {
      const blob = await this.store.readBlob("centroids.f32");
      if (blob === undefined || blob.length === 0 || blob.length % (4 * dim) !== 0) {
        throw new IndexCorruptError("centroids.f32", `the index is trained but its centroid blob is ${blob === undefined ? "missing" : `${blob.length} bytes, not a multiple of ${4 * dim}`}`);
      }
      const centroids = new Float32Array(blob.slice().buffer);
      checkCentroids(centroids, dim, this.store.manifest.blobs["centroids.f32"]?.file ?? "centroids.f32");
      this.centroidIndex = new CentroidIndex(centroids, dim);
      const bits = residualBits(this.codec);
      if (bits !== null) {
        const q = await this.store.readBlob("residual.json");
        if (q === undefined) throw new IndexCorruptError("residual.json", "the index uses a residual codec but the blob is missing");
        try {
          this.quantizer = decodeResidualState(q);
        } catch (cause) {
          throw new IndexCorruptError("residual.json", "it is not a residual quantizer state", { cause });
        }
      }
    }
    this.arena = this.newArena(this.centroidIndex, this.quantizer);
    const residual = this.arena instanceof ResidualArena;
    for (const entry of this.store.manifest.segments) {
      const seg = await this.store.readSegment(entry.name);
      const offsets = seg.columns["offsets"];
      const rows = seg.ids.length;
      if (!(offsets instanceof Int32Array) || offsets.length !== rows + 1 || offsets[0] !== 0 || offsets.some((o, i) => i > 0 && o <= offsets[i - 1]!)) {
        throw new IndexCorruptError(entry.file, "its offsets column is missing or not increasing from 0 with one entry per document + 1");
      }
      const tokens = offsets[rows]!;
      const rawCodes = seg.columns["codes"];
      const k = this.centroidIndex?.k ?? 0;
      if (rawCodes !== undefined && (rawCodes.length !== tokens || rawCodes.some((c) => c < 0 || c >= k))) {
        throw new IndexCorruptError(entry.file, k === 0 ? "it holds centroid ids but the index is untrained" : "its centroid ids do not match its tokens or the centroid count");
      }
      let codes: CentroidIds | null = null;
      if (rawCodes !== undefined) (codes = centroidIdArray(k, tokens)).set(rawCodes);
      const residuals = seg.columns["residuals"];
      if (residual && residuals !== undefined && (codes === null || residuals.length !== tokens * residualBytes(this.quantizer!))) {
        throw new IndexCorruptError(entry.file, codes === null ? "it holds residuals but no centroid ids" : `its residuals column does not hold ${tokens} tokens`);
      }
      checkSegmentValues(entry.file, seg.columns, tokens, dim, this.codec, this.state.trained);
      const base = this.arena.rows;
      // Rows already in the arena's form are copied as they are; others are decoded and re-encoded.
      if (!this.arena.appendColumns(seg.columns, tokens)) {
        let vectors: Float32Array;
        try {
          // By the column's type: residual indexes written before 2026-11 held float32 until training.
          vectors = getCodec(seg.columns["vectors"] instanceof Uint16Array ? "float16" : "float32", { dim }).decode(seg.columns, 0, tokens);
        } catch (cause) {
          throw new IndexCorruptError(entry.file, `its vectors do not hold ${tokens} tokens of dim ${dim}`, { cause });
        }
        if (codes === null && this.centroidIndex !== null) codes = (await assignNearest(vectors, dim, this.centroidIndex.centroids)).codes;
        this.arena.append(vectors, codes);
      } else if (codes === null && this.centroidIndex !== null) {
        const vectors = this.arena.decode(base, base + tokens, new Float32Array(tokens * dim));
        codes = (await assignNearest(vectors, dim, this.centroidIndex.centroids)).codes;
      }
      for (let i = 0; i < rows; i++) {
        const id = seg.ids[i]!;
        const payload = seg.deleted.has(id) ? undefined : (seg.payloads?.[i] ?? undefined);
        if (!seg.deleted.has(id)) checkUniqueId(entry.file, id, this.idToSlot.has(id), payload, this.checkPayload);
        this.register(id, offsets[i + 1]! - offsets[i]!, codes?.subarray(offsets[i]!, offsets[i + 1]!) ?? null, payload, !seg.deleted.has(id));
      }
    }
    // Segments were copied whole; drop the rows of deleted ids (memory stays proportional to live data).
    if (this.liveCount < this.slots) {
      this.compactMemory();
      this.rebuildLists();
    }
  }
}

function initialState(options: MaxSimIndexOptions): IndexState {
  const codec = options.codec ?? "float32";
  if (!CODECS.includes(codec)) {
    throw new MaxsimError("INVALID_OPTION", `Unknown index codec ${JSON.stringify(codec)}. Use one of ${CODECS.join(", ")}.`);
  }
  if (!Number.isSafeInteger(options.dim) || options.dim < 1) {
    throw new MaxsimError("INVALID_OPTION", `Index dim must be a positive integer (got ${options.dim}). Pass the encoder's output dimension.`);
  }
  if (options.centroids !== undefined) positiveInt(options.centroids, "centroids");
  return {
    format: 1,
    codec,
    minTrainTokens: options.minTrainTokens ?? 32768,
    centroids: options.centroids ?? null,
    seed: options.seed ?? 1234,
    trained: false,
    trainedTokens: 0,
    trainError: 0,
    postTokens: 0,
    postErrorSum: 0,
    autoRetrain: options.autoRetrain ?? true,
  };
}

/** PLAID's choice: the power of two nearest 4·√tokens (at least 16). */
function defaultCentroids(tokens: number): number {
  return Math.max(16, 2 ** Math.round(Math.log2(4 * Math.sqrt(tokens))));
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new MaxsimError("INVALID_OPTION", `${name} must be an integer ≥ 1 (got ${v}).`);
  return v;
}

function narrowCodes(codes: CentroidIds, k: number): CentroidIds {
  return k <= 65536 ? Uint16Array.from(codes) : Int32Array.from(codes);
}
