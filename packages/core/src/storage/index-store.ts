/**
 * `IndexStore`: the generic persistence API of maxsim indexes — a versioned manifest, immutable
 * segments (ids + typed-array columns + JSON payloads) and named blobs, committed atomically.
 * `MaxSimIndex` and `Collection` persist everything through it.
 */
import { FsIndexStore } from "./fs-index-store.js";
import { MemoryIndexStore } from "./memory-index-store.js";
import type { IndexStore as IndexStoreApi, IndexStoreCreateOptions, IndexStoreOpenOptions } from "./store-types.js";

/** An index store: see {@link IndexStoreApi} for its members. */
export type IndexStore = IndexStoreApi;

/**
 * Factories of {@link IndexStore}s.
 *
 * @example
 * ```ts
 * import { IndexStore } from "@maxsim/core";
 * import { mkdtempSync } from "node:fs";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = join(mkdtempSync(join(tmpdir(), "maxsim-")), "idx");
 * const store = await IndexStore.create(dir, { dim: 2, codec: "float32", meta: { model: "fixture" } });
 * const m = await store.commit({ addSegments: [{ ids: ["a"], columns: { vectors: new Float32Array([1, 0]) } }] });
 * console.log(m.generation, (await store.readSegment(m.segments[0]!.name)).ids); // 1 ["a"]
 * await store.close();
 * const reader = await IndexStore.open(dir, { readOnly: true });
 * console.log(reader.manifest.meta); // { model: "fixture" }
 * ```
 */
export const IndexStore = {
  /**
   * Creates an index directory (and its parents) and opens it for writing (generation 0).
   * @throws MaxsimError `INDEX_EXISTS`, `INDEX_LOCKED`, `INVALID_OPTION`, `INVALID_INPUT` (meta not a JSON object), `IO_ERROR`
   */
  create(dir: string, options: IndexStoreCreateOptions): Promise<IndexStore> {
    return FsIndexStore.create(dir, options);
  },
  /**
   * Opens an index directory at its newest committed generation; as the single writer unless
   * `readOnly` (a writer also collects a crashed writer's leftovers).
   * @throws MaxsimError `INDEX_NOT_FOUND`, `INDEX_VERSION`, `INDEX_LOCKED`, {@link IndexCorruptError}
   */
  open(dir: string, options?: IndexStoreOpenOptions): Promise<IndexStore> {
    return FsIndexStore.open(dir, options);
  },
  /**
   * Creates an in-memory store with the same semantics (for `MaxSimIndex.inMemory`).
   * @throws MaxsimError `INVALID_OPTION`, `INVALID_INPUT` (meta not a JSON object)
   */
  inMemory(options: IndexStoreCreateOptions): IndexStore {
    return new MemoryIndexStore(options);
  },
} as const;
