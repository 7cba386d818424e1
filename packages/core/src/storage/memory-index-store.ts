/**
 * The in-memory {@link IndexStore} behind `MaxSimIndex.inMemory`: the same commit semantics and
 * validation as the directory store (shared `planCommit`), without files, checksums or locks.
 * Committed columns are copied and JSON values normalised, so what a caller reads back is what a
 * file store would have returned.
 */
import { MaxsimError } from "../errors.js";
import { initialManifest, planCommit, validateCreateOptions } from "./commit-plan.js";
import { memorySource, type PositionalSource } from "./disk-tier.js";
import type { Manifest, SegmentEntry } from "./manifest.js";
import type { ColumnArray, SegmentData } from "./segment.js";
import type { CommitRequest, IndexStore, IndexStoreCreateOptions, SegmentContents } from "./store-types.js";

/** Implementation of {@link IndexStore} in memory. Use `IndexStore.inMemory`. */
export class MemoryIndexStore implements IndexStore {
  readonly dir = null;
  readonly readOnly = false;
  #manifest: Manifest;
  readonly #segments = new Map<string, SegmentData>();
  readonly #blobs = new Map<string, Uint8Array>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: IndexStoreCreateOptions) {
    validateCreateOptions(options);
    this.#manifest = initialManifest(options);
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  #check(): void {
    if (this.#closed) throw new MaxsimError("INDEX_CLOSED", "The in-memory index store is closed. Create a new one to use it.");
  }

  #entry(name: string): SegmentEntry {
    const entry = this.#manifest.segments.find((s) => s.name === name);
    if (entry === undefined) {
      throw new MaxsimError(
        "NOT_FOUND",
        `No segment ${JSON.stringify(name)} at generation ${this.#manifest.generation}. Use a name from store.manifest.segments.`,
      );
    }
    return entry;
  }

  async readSegment(name: string): Promise<SegmentContents> {
    this.#check();
    const entry = this.#entry(name);
    const data = this.#segments.get(entry.file)!;
    return { name, ...data, deleted: new Set(entry.deleted), meta: entry.meta };
  }

  async readSegmentIds(name: string): Promise<readonly string[]> {
    this.#check();
    return this.#segments.get(this.#entry(name).file)!.ids;
  }

  async readBlob(name: string): Promise<Uint8Array | undefined> {
    this.#check();
    const entry = this.#manifest.blobs[name];
    // A copy, like the bytes a file store reads: callers may modify what they get.
    return entry === undefined ? undefined : this.#blobs.get(entry.file)!.slice();
  }

  async openBlob(name: string): Promise<PositionalSource | undefined> {
    this.#check();
    const entry = this.#manifest.blobs[name];
    return entry === undefined ? undefined : memorySource(entry.file, this.#blobs.get(entry.file)!);
  }

  commit(request: CommitRequest): Promise<Manifest> {
    this.#check();
    const run = this.#queue.then(() => this.#commit(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commit(request: CommitRequest): Promise<Manifest> {
    this.#check();
    const segments = new Map<string, SegmentData>();
    const blobs = new Map<string, Uint8Array>();
    const next = await planCommit(this.#manifest, request, {
      idsOf: async (entry) => this.#segments.get(entry.file)!.ids,
      writeSegment: async (name, segment) => {
        const columns: Record<string, ColumnArray> = {};
        for (const [key, array] of Object.entries(segment.columns)) columns[key] = array.slice();
        const copy: SegmentData = {
          ids: [...segment.ids],
          columns,
          ...(segment.payloads === undefined
            ? {}
            : { payloads: JSON.parse(JSON.stringify(segment.payloads, (_k, v: unknown) => (v === undefined ? null : v))) as unknown[] }),
        };
        segments.set(name, copy);
        return { file: name, bytes: 0, crc32: "00000000" };
      },
      writeBlob: async (name, bytes, generation) => {
        const file = `blob-${generation}-${name}`;
        blobs.set(file, bytes.slice());
        return { file, bytes: bytes.length, crc32: "00000000" };
      },
    });
    // The commit point: nothing above touched the visible state.
    for (const [k, v] of segments) this.#segments.set(k, v);
    for (const [k, v] of blobs) this.#blobs.set(k, v);
    this.#manifest = next;
    const liveSegments = new Set(next.segments.map((s) => s.file));
    for (const k of [...this.#segments.keys()]) if (!liveSegments.has(k)) this.#segments.delete(k);
    const liveBlobs = new Set(Object.values(next.blobs).map((b) => b.file));
    for (const k of [...this.#blobs.keys()]) if (!liveBlobs.has(k)) this.#blobs.delete(k);
    return next;
  }

  async refresh(): Promise<boolean> {
    this.#check();
    return false;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
  }
}
