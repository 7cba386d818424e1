/**
 * The store-independent part of a commit: validate the request, resolve tombstones, name the new
 * segments and build the next manifest. The file-system and in-memory stores differ only in how
 * they persist segments, blobs and the manifest, so both behave identically.
 */
import { MaxsimError } from "../errors.js";
import type { BlobEntry, Manifest, SegmentEntry } from "./manifest.js";
import { MANIFEST_VERSION } from "./manifest.js";
import { assertValidName } from "./names.js";
import { validateSegmentData } from "./segment.js";
import type { CommitRequest, IndexStoreCreateOptions, NewSegment } from "./store-types.js";

/** How a store persists the pieces of a commit. */
export interface CommitSink {
  /** Ids of an existing segment (for tombstones). */
  idsOf(entry: SegmentEntry): Promise<readonly string[]>;
  /** Persists a new segment; returns its file name, size and header CRC. */
  writeSegment(name: string, segment: NewSegment): Promise<Pick<SegmentEntry, "file" | "bytes" | "crc32">>;
  /** Persists a blob written at `generation`. */
  writeBlob(name: string, bytes: Uint8Array, generation: number): Promise<BlobEntry>;
}

/** A JSON-normalised copy of a plain object (what a file store would read back). */
export function jsonObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MaxsimError("INVALID_INPUT", `${what} must be a plain JSON object.`);
  }
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value));
  } catch (cause) {
    throw new MaxsimError("INVALID_INPUT", `${what} is not JSON-serialisable. Keep it to plain objects, arrays, strings, numbers, booleans and null.`, {
      cause,
    });
  }
  return copy as Record<string, unknown>;
}

/** Checks a commit request before anything is written. */
export function validateCommit(current: Manifest, request: CommitRequest): void {
  if (typeof request !== "object" || request === null) throw new MaxsimError("INVALID_INPUT", "commit() takes an object.");
  const existing = new Set(current.segments.map((s) => s.name));
  for (const name of request.removeSegments ?? []) {
    if (!existing.has(name)) {
      throw new MaxsimError("NOT_FOUND", `Segment ${JSON.stringify(name)} is not in the index (generation ${current.generation}); it cannot be removed.`);
    }
  }
  for (const segment of request.addSegments ?? []) {
    validateSegmentData(segment);
    if (segment.meta !== undefined) jsonObject(segment.meta, "Segment meta");
  }
  for (const [name, bytes] of Object.entries(request.blobs ?? {})) {
    assertValidName(name, "blob");
    if (bytes !== null && !(bytes instanceof Uint8Array)) {
      throw new MaxsimError("INVALID_INPUT", `Blob ${name} must be a Uint8Array (or null to delete it).`);
    }
  }
  if (request.deleteIds !== undefined && !(Array.isArray(request.deleteIds) && request.deleteIds.every((id) => typeof id === "string"))) {
    throw new MaxsimError("INVALID_ID", "deleteIds must be an array of string ids.");
  }
  if (request.meta !== undefined) jsonObject(request.meta, "Index meta");
}

/** Name of the `n`-th segment added at `generation`. */
export function segmentName(generation: number, n: number): string {
  return `seg-${String(generation).padStart(10, "0")}-${n}`;
}

/**
 * Builds the manifest that `request` produces from `current`, persisting new segments and blobs
 * through `sink` (but not the manifest itself: that is the caller's commit point).
 */
export async function planCommit(current: Manifest, request: CommitRequest, sink: CommitSink): Promise<Manifest> {
  validateCommit(current, request);
  const generation = current.generation + 1;
  const removed = new Set(request.removeSegments ?? []);
  const toDelete = new Set(request.deleteIds ?? []);
  const segments: SegmentEntry[] = [];
  for (const entry of current.segments) {
    if (removed.has(entry.name)) continue;
    if (toDelete.size === 0) {
      segments.push(entry);
      continue;
    }
    const already = new Set(entry.deleted);
    const added = (await sink.idsOf(entry)).filter((id) => toDelete.has(id) && !already.has(id));
    segments.push(added.length === 0 ? entry : { ...entry, deleted: [...entry.deleted, ...added] });
  }
  const adds = request.addSegments ?? [];
  for (let n = 0; n < adds.length; n++) {
    const segment = adds[n]!;
    const name = segmentName(generation, n);
    const written = await sink.writeSegment(name, segment);
    segments.push({
      name,
      ...written,
      rows: segment.ids.length,
      deleted: [],
      meta: segment.meta === undefined ? {} : jsonObject(segment.meta, "Segment meta"),
    });
  }
  const blobs: Record<string, BlobEntry> = { ...current.blobs };
  for (const [name, bytes] of Object.entries(request.blobs ?? {})) {
    if (bytes === null) delete blobs[name];
    else blobs[name] = await sink.writeBlob(name, bytes, generation);
  }
  return {
    version: MANIFEST_VERSION,
    generation,
    committedAt: new Date().toISOString(),
    dim: current.dim,
    codec: current.codec,
    segments,
    blobs,
    meta: request.meta === undefined ? current.meta : jsonObject(request.meta, "Index meta"),
  };
}

/** The generation-0 manifest of a new store; throws `INVALID_INPUT` when `meta` is not a JSON object. */
export function initialManifest(options: IndexStoreCreateOptions): Manifest {
  return {
    version: MANIFEST_VERSION,
    generation: 0,
    committedAt: new Date().toISOString(),
    dim: options.dim,
    codec: options.codec ?? "float32",
    segments: [],
    blobs: {},
    meta: options.meta === undefined ? {} : jsonObject(options.meta, "Index meta"),
  };
}

/** Checks create options; throws `INVALID_OPTION`. */
export function validateCreateOptions(options: { dim: number; codec?: string; retainGenerations?: number }): void {
  if (!Number.isSafeInteger(options.dim) || options.dim <= 0) {
    throw new MaxsimError("INVALID_OPTION", `Index dim must be a positive integer, got ${String(options.dim)}.`);
  }
  if (options.codec !== undefined && !/^[a-z0-9._-]+$/.test(options.codec)) {
    throw new MaxsimError("INVALID_OPTION", `Codec name ${JSON.stringify(options.codec)} must match [a-z0-9._-]+.`);
  }
  validateRetain(options.retainGenerations);
}

/** Checks `retainGenerations`; throws `INVALID_OPTION`. */
export function validateRetain(retain: number | undefined): number {
  const value = retain ?? 2;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MaxsimError("INVALID_OPTION", `retainGenerations must be an integer ≥ 1, got ${String(retain)}.`);
  }
  return value;
}
