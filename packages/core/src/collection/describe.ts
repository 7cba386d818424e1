/**
 * What `maxsim info <dir>` prints about a collection: model, counts, codec, size on disk and
 * format version, read without loading the model.
 */
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { MaxSimIndex } from "../index/maxsim-index.js";
import { MaxsimError } from "../errors.js";
import { decodeManifest, MANIFEST_VERSION, parseManifestFileName } from "../storage/manifest.js";
import { NotRegularFileError, readRegularFile } from "../storage/regular-file.js";
import { IndexCorruptError } from "../errors.js";
import { META_KEY } from "./collection.js";
import type { CollectionMeta } from "./collection.js";

/** A collection's description. */
export interface CollectionDescription {
  dir: string;
  /** Stored model id (hub id or directory). */
  model: string;
  dim: number;
  documents: number;
  /** Stored token vectors. */
  tokens: number;
  codec: string;
  /** Bytes of every file under the directory (older snapshots kept for readers included). */
  bytesOnDisk: number;
  /** Bytes of the current snapshot: its manifest, segments and blobs (what bytes/token counts). */
  liveBytes: number;
  /** Index storage (manifest) format version. */
  formatVersion: number;
  /** Collection metadata format version. */
  collectionFormat: number | null;
}

const isEnoent = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";

/**
 * Bytes of the newest manifest and the segments and blobs it references. A writer committing
 * meanwhile may delete the manifest just listed (its cleanup keeps two generations): list again.
 */
async function liveBytes(dir: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await liveBytesOnce(dir);
    } catch (error) {
      if (!isEnoent(error) || attempt >= 20) throw error;
    }
  }
}

async function liveBytesOnce(dir: string): Promise<number> {
  let newest: string | undefined;
  let generation = -1;
  for (const name of await readdir(dir)) {
    const g = parseManifestFileName(name);
    if (g !== undefined && g > generation) {
      generation = g;
      newest = name;
    }
  }
  if (newest === undefined) return 0;
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path.join(dir, newest), 2 ** 31 - 1);
  } catch (error) {
    if (error instanceof NotRegularFileError) throw new IndexCorruptError(newest, error.problem, { cause: error });
    throw error;
  }
  const m = decodeManifest(bytes, newest);
  let total = bytes.length;
  for (const s of m.segments) total += s.bytes;
  for (const b of Object.values(m.blobs)) total += b.bytes;
  return total;
}

function ioError(dir: string, error: unknown): unknown {
  if (MaxsimError.isInstance(error)) return error;
  return new MaxsimError(
    "IO_ERROR",
    `Could not measure ${dir}: ${(error as Error).message}. Check the directory's permissions, then run \`maxsim info\` again.`,
    { cause: error },
  );
}

/** Bytes of the regular files under `dir`; files a writer deletes between listing and stat are skipped. */
async function du(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isEnoent(error)) return 0;
    throw error;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await du(p);
    else if (e.isFile())
      total += await lstat(p).then(
        (st) => st.size,
        (error: unknown) => (isEnoent(error) ? 0 : Promise.reject(error)),
      );
  }
  return total;
}

/**
 * Describes the collection in `dir` without loading its model.
 *
 * @param dir - a collection directory
 * @param options - `index`: an already open index of `dir` (avoids opening it twice)
 * @throws MaxsimError `INDEX_NOT_FOUND`, `INDEX_CORRUPT`, `INDEX_VERSION`
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Collection, describeCollection } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const dir = join(await mkdtemp(join(tmpdir(), "maxsim-")), "idx");
 * const c = await Collection.create(dir, { model: (await ensureFixtures()).multilingual, codec: "float16" });
 * await c.addDocuments([{ id: "a", text: "Le chat dort." }]);
 * await c.close();
 * const d = await describeCollection(dir);
 * console.log(d.documents, d.tokens, d.dim, d.codec, d.formatVersion); // 1 6 128 float16 1
 * ```
 */
export async function describeCollection(dir: string, options: { index?: MaxSimIndex } = {}): Promise<CollectionDescription> {
  const index = options.index ?? (await MaxSimIndex.open(dir, { readOnly: true }));
  try {
    const meta = index.meta[META_KEY] as Partial<CollectionMeta> | undefined;
    let tokens = 0;
    for (const id of index.ids()) tokens += index.get(id)?.length ?? 0;
    return {
      dir,
      model: meta?.model?.id ?? "(none: a bare MaxSimIndex)",
      dim: index.dim,
      documents: index.size,
      tokens,
      codec: index.codec,
      bytesOnDisk: await du(dir).catch((e: unknown) => Promise.reject(ioError(dir, e))),
      liveBytes: await liveBytes(dir).catch((e: unknown) => Promise.reject(ioError(dir, e))),
      formatVersion: MANIFEST_VERSION,
      collectionFormat: meta?.collectionFormat ?? null,
    };
  } finally {
    if (!options.index) await index.close();
  }
}

/**
 * Human-readable lines for {@link describeCollection}'s result.
 *
 * @example
 * ```ts
 * import { formatCollectionDescription } from "@maxsim/core";
 * const text = formatCollectionDescription({ dir: "idx", model: "m", dim: 128, documents: 2, tokens: 10, codec: "float16", bytesOnDisk: 4096, liveBytes: 2048, formatVersion: 1, collectionFormat: 1 });
 * console.log(text.split("\n")[6]); // on disk     0.00 MiB (204.8 bytes/token in the current snapshot)
 * ```
 */
export function formatCollectionDescription(d: CollectionDescription): string {
  const mb = (d.bytesOnDisk / 1024 / 1024).toFixed(2);
  const perToken = d.tokens > 0 ? ` (${(d.liveBytes / d.tokens).toFixed(1)} bytes/token in the current snapshot)` : "";
  return [
    `collection  ${d.dir}`,
    `model       ${d.model}`,
    `dim         ${d.dim}`,
    `documents   ${d.documents}`,
    `tokens      ${d.tokens}`,
    `codec       ${d.codec}`,
    `on disk     ${mb} MiB${perToken}`,
    `format      index v${d.formatVersion}, collection v${d.collectionFormat ?? "?"}`,
  ].join("\n");
}

/**
 * {@link describeCollection} for `maxsim info <dir>`, or `undefined` when `dir` holds no index
 * (so the caller can treat it as a model directory instead).
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { describeIfCollection } from "@maxsim/core";
 * console.log(await describeIfCollection(tmpdir())); // undefined
 * ```
 */
export async function describeIfCollection(dir: string): Promise<CollectionDescription | undefined> {
  try {
    return await describeCollection(dir);
  } catch (error) {
    if (MaxsimError.isInstance(error) && error.code === "INDEX_NOT_FOUND") return undefined;
    throw error;
  }
}
