/**
 * The types of the storage API shared by the file-system and in-memory index stores.
 */
import type { PositionalSource } from "./disk-tier.js";
import type { Manifest } from "./manifest.js";
import type { ReadBuffer } from "./read-buffer.js";
import type { SegmentData } from "./segment.js";

/**
 * A segment to add in a commit. Ids must be unique within the segment; the store does not check
 * them against other segments (the index layer decides what a repeated id means, e.g. pairing it
 * with `deleteIds` for an upsert).
 */
export interface NewSegment extends SegmentData {
  /** Free-form JSON recorded in the manifest entry (token counts, codec parameters…). */
  readonly meta?: Record<string, unknown>;
}

/**
 * One atomic change of an index. Everything in it becomes visible together at the commit point,
 * or (after a crash or an error) none of it does.
 */
export interface CommitRequest {
  /** Segments to add; the store names them `seg-<generation>-<n>` in this order. */
  readonly addSegments?: readonly NewSegment[];
  /** Names of segments to drop (compaction). Unknown names give `NOT_FOUND`. */
  readonly removeSegments?: readonly string[];
  /**
   * Ids to delete: each is tombstoned in every segment that existed before this commit, is not
   * removed by it, and holds the id. Segments added by the same commit are not affected, so
   * `{ deleteIds: [x], addSegments: [segment with x] }` is an upsert. Unknown ids are ignored.
   */
  readonly deleteIds?: readonly string[];
  /** Blobs to write (`Uint8Array`) or drop (`null`), by name (`^[a-z0-9._-]+$`). */
  readonly blobs?: Readonly<Record<string, Uint8Array | null>>;
  /** Replaces the manifest `meta` wholesale (JSON-serialisable object). */
  readonly meta?: Record<string, unknown>;
}

/** A segment as read back: its data plus the tombstones of the reader's snapshot. */
export interface SegmentContents extends SegmentData {
  readonly name: string;
  /** Ids of this segment deleted as of the snapshot the store is on. */
  readonly deleted: ReadonlySet<string>;
  /** The segment's manifest `meta`. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Options of `IndexStore.create` and `IndexStore.inMemory`. */
export interface IndexStoreCreateOptions {
  /** Vector dimension, recorded in the manifest. */
  readonly dim: number;
  /**
   * Vector codec name, recorded in the manifest (the store does not encode vectors itself).
   * @defaultValue "float32"
   */
  readonly codec?: string;
  /** Initial manifest `meta`. @defaultValue {} */
  readonly meta?: Record<string, unknown>;
  /**
   * How many generations (the current one included) keep their files for readers still on an
   * older snapshot. @defaultValue 2
   */
  readonly retainGenerations?: number;
}

/** Options of `IndexStore.open`. */
export interface IndexStoreOpenOptions {
  /** Open without the writer lock: no commits; `refresh()` moves to the newest snapshot. @defaultValue false */
  readonly readOnly?: boolean;
  /** See {@link IndexStoreCreateOptions.retainGenerations}. @defaultValue 2 */
  readonly retainGenerations?: number;
}

/**
 * An index directory (or its in-memory stand-in): a versioned manifest, immutable segments and
 * named blobs. Obtain one with `IndexStore.create`, `IndexStore.open` or `IndexStore.inMemory`.
 */
export interface IndexStore {
  /** The directory, or `null` for an in-memory store. */
  readonly dir: string | null;
  readonly readOnly: boolean;
  /** The snapshot this store reads: changes only on `commit` (writer) or `refresh` (reader). */
  readonly manifest: Manifest;
  /**
   * Reads one segment of the current snapshot, verifying every checksum. Treat the returned arrays
   * as read-only (the in-memory store returns its own copies). With `into`, a file store reads
   * into that reused buffer: the columns are views of it, valid until its next read.
   * @throws `NOT_FOUND` (no such segment in the snapshot), {@link IndexCorruptError},
   *   `INDEX_STALE` (a writer garbage-collected this old snapshot's file: call `refresh()`).
   */
  readSegment(name: string, into?: ReadBuffer): Promise<SegmentContents>;
  /** Reads only the ids of a segment (cheaper than `readSegment`). Same errors. */
  readSegmentIds(name: string): Promise<readonly string[]>;
  /** Reads a blob of the current snapshot, or `undefined` when it has none of that name. */
  readBlob(name: string): Promise<Uint8Array | undefined>;
  /**
   * Opens a blob of the current snapshot for positional reads (disk tiers: `disk-tier.ts`), or
   * `undefined` when it has none of that name. Nothing is read or verified here: the caller checks
   * what it reads (the disk-tier format checksums each block). The open file stays readable after
   * a writer garbage-collects it, until closed.
   * @throws {@link IndexCorruptError} (missing, not a regular file, wrong size), `INDEX_STALE`, `IO_ERROR`
   */
  openBlob(name: string): Promise<PositionalSource | undefined>;
  /**
   * Applies `request` atomically and returns the new manifest (generation + 1).
   * @throws `INDEX_READ_ONLY`, `INDEX_CLOSED`, `NOT_FOUND`, `INVALID_INPUT`, `INVALID_ID`,
   *   `DUPLICATE_ID`, `IO_ERROR`.
   */
  commit(request: CommitRequest): Promise<Manifest>;
  /** Moves a reader to the newest committed snapshot; true when it changed. */
  refresh(): Promise<boolean>;
  /** Releases the writer lock (writers) and makes further calls fail with `INDEX_CLOSED`. */
  close(): Promise<void>;
}
