/**
 * Loading a `MaxSimIndex` snapshot from its `IndexStore`: the state from the manifest, the
 * centroids and residual quantiser blobs, every segment copied into a fresh {@link SlotTable}
 * (columns already in the arena's form as they are, older forms decoded and re-encoded), with
 * deleted rows dropped, and the retry when a writer garbage-collects the snapshot mid-load.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { getCodec } from "../storage/codecs/registry.js";
import { ReadBuffer } from "../storage/read-buffer.js";
import type { IndexStore } from "../storage/index-store.js";
import { CODECS, residualBits, STATE_KEY, type IndexState } from "./index-state.js";
import { manifestFileName } from "../storage/manifest.js";
import { TierFiles, TierRows, tierBlobName } from "./disk-tier-rows.js";
import { assignNearest } from "./kmeans.js";
import { CentroidIndex, centroidIdArray, type CentroidIds } from "./plaid.js";
import { decodeResidualState, residualBytes } from "./residual-codec.js";
import { SlotTable } from "./slot-table.js";
import { ResidualArena } from "./token-arena.js";
import { checkCentroids, checkSegmentValues, checkState, checkUniqueId } from "./boundary.js";
import type { PayloadCheck } from "./index-state.js";

/** Loads of a snapshot retried when a writer garbage-collects it mid-load (`INDEX_STALE`). */
const STALE_RETRIES = 5;

/** A loaded snapshot: its state, table, and the manifest generation and meta it came from. */
export interface LoadedSnapshot {
  state: IndexState;
  table: SlotTable;
  generation: number;
  meta: Record<string, unknown>;
}

/** The index state in a store's manifest; `INVALID_OPTION` when the store is not a MaxSimIndex. */
export function stateOf(store: IndexStore): IndexState {
  const state = store.manifest.meta[STATE_KEY] as IndexState | undefined;
  if (state?.format !== 1 || !CODECS.includes(state.codec)) {
    throw new MaxsimError(
      "INVALID_OPTION",
      `${store.dir ?? "The store"} is an index store but not a MaxSimIndex (no ${STATE_KEY} state in its manifest). Open it with the API that created it.`,
    );
  }
  return { ...state };
}

/**
 * Loads the store's newest snapshot, or returns `null` when it is still generation `known`. A
 * load that hits `INDEX_STALE` (a writer garbage-collected the snapshot's files meanwhile) moves
 * the store to the newest manifest and loads again.
 */
export async function loadNewest(store: IndexStore, known: number | null, tierFiles?: TierFiles, checkPayload?: PayloadCheck): Promise<LoadedSnapshot | null> {
  for (let attempt = 0; ; attempt++) {
    if (known !== null || attempt > 0) await store.refresh();
    if (store.manifest.generation === known) return null;
    const state = stateOf(store);
    checkState(manifestFileName(store.manifest.generation), store.manifest.codec, store.manifest.meta[STATE_KEY]);
    const generation = store.manifest.generation;
    const meta = store.manifest.meta;
    try {
      return { state, table: await loadTable(store, state, tierFiles, checkPayload), generation, meta };
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

/** Loads every segment of the store's snapshot into a new table. */
async function loadTable(store: IndexStore, state: IndexState, tierFiles: TierFiles | undefined, checkPayload: PayloadCheck | undefined): Promise<SlotTable> {
  const dim = store.manifest.dim;
  const table = new SlotTable(dim, state.codec);
  // Two tiers: only the RAM tier is read here; tier blobs are opened when a search reads them.
  if (state.diskTier !== undefined) table.tier = new TierRows(tierFiles ?? new TierFiles(store), dim);
  if (state.trained) {
    const blob = await store.readBlob("centroids.f32");
    if (blob === undefined || blob.length === 0 || blob.length % (4 * dim) !== 0) {
      throw new IndexCorruptError(
        "centroids.f32",
        `the index is trained but its centroid blob is ${blob === undefined ? "missing" : `${blob.length} bytes, not a multiple of ${4 * dim}`}`,
      );
    }
    // The blob owns its buffer (both stores return copies): a view, not a second 2·k·dim copy kept until GC.
    const owned = blob.byteOffset === 0 && blob.buffer.byteLength === blob.length;
    const centroids = new Float32Array(owned ? blob.buffer : blob.slice().buffer);
    checkCentroids(centroids, dim, store.manifest.blobs["centroids.f32"]?.file ?? "centroids.f32");
    table.centroidIndex = new CentroidIndex(centroids, dim);
    const bits = residualBits(state.codec);
    if (bits !== null) {
      const q = await store.readBlob("residual.json");
      if (q === undefined) throw new IndexCorruptError("residual.json", "the index uses a residual codec but the blob is missing");
      try {
        table.quantizer = decodeResidualState(q);
      } catch (cause) {
        throw new IndexCorruptError("residual.json", "it is not a residual quantizer state", { cause });
      }
    }
  }
  table.arena = table.newArena(table.centroidIndex, table.quantizer);
  const residual = table.arena instanceof ResidualArena;
  // Segments record their token counts: size every array once (a wrong count only costs a regrowth).
  const counted = store.manifest.segments.reduce((sum, e) => sum + (typeof e.meta["tokens"] === "number" ? e.meta["tokens"] : 0), 0);
  table.reserve(
    counted,
    store.manifest.segments.reduce((sum, e) => sum + e.rows, 0),
  );
  // One read buffer for every segment (each is copied into the table before the next is read).
  const readBuffer = new ReadBuffer(store.manifest.segments.reduce((max, e) => Math.max(max, e.bytes), 0));
  for (const entry of store.manifest.segments) {
    const seg = await store.readSegment(entry.name, readBuffer);
    const offsets = seg.columns["offsets"];
    const rows = seg.ids.length;
    if (!(offsets instanceof Int32Array) || offsets.length !== rows + 1 || offsets[0] !== 0 || offsets.some((o, i) => i > 0 && o <= offsets[i - 1]!)) {
      throw new IndexCorruptError(entry.file, "its offsets column is missing or not increasing from 0 with one entry per document + 1");
    }
    const tokens = offsets[rows]!;
    const rawCodes = seg.columns["codes"];
    const k = table.centroidIndex?.k ?? 0;
    if (rawCodes !== undefined && (rawCodes.length !== tokens || rawCodes.some((c) => c < 0 || c >= k))) {
      throw new IndexCorruptError(
        entry.file,
        k === 0 ? "it holds centroid ids but the index is untrained" : "its centroid ids do not match its tokens or the centroid count",
      );
    }
    let codes: CentroidIds | null = null;
    // Ids already in the table's width are used as they are (register copies them); others are converted.
    if (k <= 65536 && rawCodes instanceof Uint16Array) codes = rawCodes;
    else if (k > 65536 && rawCodes instanceof Int32Array) codes = rawCodes;
    else if (rawCodes !== undefined) (codes = centroidIdArray(k, tokens)).set(rawCodes);
    const residuals = seg.columns["residuals"];
    if (residual && residuals !== undefined && (codes === null || residuals.length !== tokens * residualBytes(table.quantizer!))) {
      throw new IndexCorruptError(
        entry.file,
        codes === null ? "it holds residuals but no centroid ids" : `its residuals column does not hold ${tokens} tokens`,
      );
    }
    checkSegmentValues(entry.file, seg.columns, tokens, dim, state.codec, state.trained);
    const base = table.arena.rows;
    // Rows already in the arena's form are copied as they are; others are decoded and re-encoded.
    if (!table.arena.appendColumns(seg.columns, tokens)) {
      let vectors: Float32Array;
      try {
        // By the column's type: residual indexes written before 2026-11 held float32 until training.
        vectors = getCodec(seg.columns["vectors"] instanceof Uint16Array ? "float16" : "float32", { dim }).decode(seg.columns, 0, tokens);
      } catch (cause) {
        throw new IndexCorruptError(entry.file, `its vectors do not hold ${tokens} tokens of dim ${dim}`, { cause });
      }
      if (codes === null && table.centroidIndex !== null) codes = (await assignNearest(vectors, dim, table.centroidIndex.centroids)).codes;
      table.arena.append(vectors, codes);
    } else if (codes === null && table.centroidIndex !== null) {
      const vectors = table.arena.decode(base, base + tokens, new Float32Array(tokens * dim));
      codes = (await assignNearest(vectors, dim, table.centroidIndex.centroids)).codes;
    }
    const tierFile = seg.columns["tierFile"];
    const tierRow = seg.columns["tierRow"];
    if (table.tier !== null && !(tierFile instanceof Int32Array && tierRow instanceof Int32Array && tierFile.length === rows && tierRow.length === rows)) {
      throw new IndexCorruptError(entry.file, "the index keeps a disk tier but this segment does not record each document's tier blob and row");
    }
    for (let i = 0; i < rows; i++) {
      const id = seg.ids[i]!;
      const payload = seg.deleted.has(id) ? undefined : (seg.payloads?.[i] ?? undefined);
      if (!seg.deleted.has(id)) checkUniqueId(entry.file, id, table.idToSlot.has(id), payload, checkPayload);
      table.register(id, offsets[i + 1]! - offsets[i]!, codes?.subarray(offsets[i]!, offsets[i + 1]!) ?? null, payload, !seg.deleted.has(id), false);
      if (table.tier !== null) table.tier.set(table.slots - 1, tierFile![i]!, tierRow![i]!);
    }
  }
  if (table.tier !== null) {
    for (const n of table.tier.referenced(table.slots)) {
      if (store.manifest.blobs[tierBlobName(n)] === undefined) {
        throw new IndexCorruptError(
          manifestFileName(store.manifest.generation),
          `segments point at disk-tier blob ${tierBlobName(n)}, which the manifest does not list`,
        );
      }
    }
  }
  // Segments were copied whole; drop the rows of deleted ids (memory stays proportional to live data).
  if (table.liveCount < table.slots) table.compactMemory();
  // Slots were registered unlisted: one count-then-fill build gives exact-size inverted lists.
  table.rebuildLists();
  return table;
}
