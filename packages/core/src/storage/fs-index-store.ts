/**
 * The file-system {@link IndexStore}: an index directory holding
 * `manifest-<generation>.json` files, immutable `seg-<generation>-<n>.seg` segments,
 * immutable `blob-<generation>-<name>.bin` blobs and, while a writer is open, `LOCK`.
 *
 * A commit writes the new segment and blob files (temp → fsync → rename), fsyncs the directory,
 * then writes the next manifest the same way: that rename is the commit point. Files no longer
 * referenced by the newest `retainGenerations` manifests are deleted after each commit and when a
 * writer opens (which also removes leftovers of a crashed writer), so a reader on the previous
 * snapshot keeps working.
 */
import { read, readv } from "node:fs";
import { readdir, stat, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { makeDirectory } from "./make-directory.js";
import type { ReadBuffer } from "./read-buffer.js";
import { NotRegularFileError, openRegularFile, readFully, readRegularFile } from "./regular-file.js";
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { TEMP_PREFIX, syncDir, writeFileAtomic } from "./atomic.js";
import { initialManifest, planCommit, validateCreateOptions, validateRetain } from "./commit-plan.js";
import { crc32 } from "./crc32.js";
import type { PositionalSource } from "./disk-tier.js";
import { LOCK_FILE, acquireWriterLock, isAbandonedLockFile, type WriterLock } from "./lock.js";
import { decodeManifest, encodeManifest, manifestFileName, parseManifestFileName, type BlobEntry, type Manifest, type SegmentEntry } from "./manifest.js";
import { decodeSegmentIds, decodeSegmentLayout, decodeSegmentWithLayout, encodeSegment } from "./segment.js";
import type { CommitRequest, IndexStore, IndexStoreCreateOptions, IndexStoreOpenOptions, SegmentContents } from "./store-types.js";

/** `fs.read` of `target[offset..]` at `position` of descriptor `fd`, as a promise of the bytes read. */
function readAt(fd: number, target: Uint8Array, offset: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, target, offset, target.length - offset, position, (error, n) => (error ? reject(error) : resolve(n))));
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

function ioError(action: string, path: string, cause: unknown): MaxsimError {
  return new MaxsimError("IO_ERROR", `Could not ${action} ${path}: ${(cause as Error).message}. Check the disk space and permissions of the index directory.`, {
    cause,
  });
}

/** Generations of the manifest files in `dir`, newest first (`undefined` if `dir` is missing). */
async function manifestGenerations(dir: string): Promise<number[] | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return undefined;
    throw ioError("list", dir, error);
  }
  return names
    .map(parseManifestFileName)
    .filter((g): g is number => g !== undefined)
    .sort((a, b) => b - a);
}

/** Largest manifest file read (a manifest lists segments and tombstoned ids: far below this). */
const MAX_MANIFEST_BYTES = 2 ** 31 - 1;

/** `NotRegularFileError` → {@link IndexCorruptError} naming `file`; anything else unchanged. */
function asCorrupt(error: unknown, file: string): unknown {
  return error instanceof NotRegularFileError ? new IndexCorruptError(file, error.problem, { cause: error }) : error;
}

async function readManifest(dir: string, generation: number): Promise<Manifest> {
  const file = manifestFileName(generation);
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(join(dir, file), MAX_MANIFEST_BYTES);
  } catch (error) {
    throw asCorrupt(error, file);
  }
  const manifest = decodeManifest(bytes, file);
  if (manifest.generation !== generation) throw new IndexCorruptError(file, `holds generation ${manifest.generation}`);
  return manifest;
}

function notFound(dir: string): MaxsimError {
  return new MaxsimError(
    "INDEX_NOT_FOUND",
    `No maxsim index in ${dir} (no manifest-*.json file). Create one with IndexStore.create / MaxSimIndex.create, or check the path.`,
  );
}

/** The newest committed manifest of `dir`, retrying when a writer deletes it mid-read. */
async function loadLatest(dir: string): Promise<Manifest> {
  for (let attempt = 0; ; attempt++) {
    const generations = await manifestGenerations(dir);
    if (generations === undefined || generations.length === 0) throw notFound(dir);
    try {
      return await readManifest(dir, generations[0]!);
    } catch (error) {
      // A writer committed twice and garbage-collected this manifest between listing and reading.
      if (errno(error) === "ENOENT" && attempt < 20) continue;
      if (MaxsimError.isInstance(error)) throw error;
      throw ioError("read", join(dir, manifestFileName(generations[0]!)), error);
    }
  }
}

/** Every file a manifest references. */
function referencedFiles(manifest: Manifest): string[] {
  return [manifestFileName(manifest.generation), ...manifest.segments.map((s) => s.file), ...Object.values(manifest.blobs).map((b) => b.file)];
}

/** Implementation of {@link IndexStore} over a directory. Use `IndexStore.create` / `open`. */
export class FsIndexStore implements IndexStore {
  readonly dir: string;
  readonly readOnly: boolean;
  #manifest: Manifest;
  #retained: Manifest[];
  readonly #retain: number;
  readonly #lock: WriterLock | undefined;
  readonly #ids = new Map<string, readonly string[]>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(dir: string, manifest: Manifest, retained: Manifest[], retain: number, lock: WriterLock | undefined) {
    this.dir = dir;
    this.readOnly = lock === undefined;
    this.#manifest = manifest;
    this.#retained = retained;
    this.#retain = retain;
    this.#lock = lock;
  }

  /** See `IndexStore.create`. */
  static async create(dir: string, options: IndexStoreCreateOptions): Promise<FsIndexStore> {
    validateCreateOptions(options);
    const retain = validateRetain(options.retainGenerations);
    const manifest = initialManifest(options);
    if ((await manifestGenerations(dir))?.length) throw existsError(dir);
    try {
      await makeDirectory(dir);
    } catch (error) {
      throw ioError("create", dir, error);
    }
    const lock = await acquireWriterLock(dir);
    try {
      if ((await manifestGenerations(dir))?.length) throw existsError(dir);
      const store = new FsIndexStore(dir, manifest, [manifest], retain, lock);
      await store.#gc(); // leftovers of an earlier crashed create
      await writeFileAtomic(join(dir, manifestFileName(0)), encodeManifest(manifest));
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** See `IndexStore.open`. */
  static async open(dir: string, options: IndexStoreOpenOptions = {}): Promise<FsIndexStore> {
    const retain = validateRetain(options.retainGenerations);
    const generations = await manifestGenerations(dir);
    if (generations === undefined || generations.length === 0) throw notFound(dir);
    if (options.readOnly === true) {
      const manifest = await loadLatest(dir);
      return new FsIndexStore(dir, manifest, [manifest], retain, undefined);
    }
    const lock = await acquireWriterLock(dir);
    try {
      const manifest = await loadLatest(dir);
      const retained = [manifest];
      for (let g = manifest.generation - 1; g > manifest.generation - retain && g >= 0; g--) {
        // An unreadable older manifest only means its files are not kept for readers.
        const older = await readManifest(dir, g).catch(() => undefined);
        if (older) retained.push(older);
      }
      const store = new FsIndexStore(dir, manifest, retained, retain, lock);
      await store.#gc();
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  #check(write: boolean): void {
    if (this.#closed) throw new MaxsimError("INDEX_CLOSED", `The index store of ${this.dir} is closed. Open it again to use it.`);
    if (write && this.readOnly) {
      throw new MaxsimError("INDEX_READ_ONLY", `The index ${this.dir} was opened read-only. Open it without { readOnly: true } to write.`);
    }
  }

  #entry(name: string): SegmentEntry {
    const entry = this.#manifest.segments.find((s) => s.name === name);
    if (entry === undefined) {
      throw new MaxsimError(
        "NOT_FOUND",
        `No segment ${JSON.stringify(name)} in ${this.dir} at generation ${this.#manifest.generation}. Use a name from store.manifest.segments.`,
      );
    }
    return entry;
  }

  /** Reads a file the current snapshot references, telling a garbage-collected old snapshot from damage. */
  async #readReferenced(file: string, entry: { bytes: number }, into?: ReadBuffer): Promise<Buffer> {
    let bytes: Buffer;
    try {
      // At most the size the manifest records: a longer file is damage, not something to read.
      bytes = await readRegularFile(join(this.dir, file), entry.bytes, into);
    } catch (error) {
      if (error instanceof NotRegularFileError) throw asCorrupt(error, file);
      if (errno(error) !== "ENOENT") throw ioError("read", join(this.dir, file), error);
      const newest = (await manifestGenerations(this.dir))?.[0];
      if (newest !== undefined && newest > this.#manifest.generation) {
        throw new MaxsimError(
          "INDEX_STALE",
          `${file} of generation ${this.#manifest.generation} was garbage-collected by a writer (the index is at generation ${newest}). Call refresh() to move to the newest snapshot and read again.`,
        );
      }
      throw new IndexCorruptError(file, "the file is missing", { cause: error });
    }
    if (bytes.length !== entry.bytes) {
      throw new IndexCorruptError(file, `${bytes.length} bytes, the manifest records ${entry.bytes}${bytes.length < entry.bytes ? " (truncated)" : ""}`);
    }
    return bytes;
  }

  async readSegment(name: string, into?: ReadBuffer): Promise<SegmentContents> {
    this.#check(false);
    const entry = this.#entry(name);
    const bytes = await this.#readReferenced(entry.file, entry, into);
    const { data, layout } = decodeSegmentWithLayout(bytes, entry.file);
    if (layout.headerCrc.toString(16).padStart(8, "0") !== entry.crc32 || data.ids.length !== entry.rows) {
      throw new IndexCorruptError(entry.file, "does not match its manifest entry (checksum or row count)");
    }
    this.#ids.set(name, data.ids);
    return { name, ...data, deleted: new Set(entry.deleted), meta: entry.meta };
  }

  async readSegmentIds(name: string): Promise<readonly string[]> {
    this.#check(false);
    const entry = this.#entry(name);
    return this.#idsOf(entry);
  }

  async #idsOf(entry: SegmentEntry): Promise<readonly string[]> {
    const cached = this.#ids.get(entry.name);
    if (cached) return cached;
    const path = join(this.dir, entry.file);
    let handle: FileHandle;
    let size: number;
    try {
      ({ handle, size } = await openRegularFile(path));
    } catch (error) {
      if (error instanceof NotRegularFileError) throw asCorrupt(error, entry.file);
      if (errno(error) === "ENOENT") await this.#readReferenced(entry.file, entry); // throws the right error
      throw ioError("open", path, error);
    }
    try {
      if (size !== entry.bytes) throw new IndexCorruptError(entry.file, `${size} bytes, the manifest records ${entry.bytes}`);
      const readAt = (length: number) => readFully(handle, 0, Math.min(length, size));
      const prefix = await readAt(16);
      const headerLength = prefix.length === 16 ? prefix.readUInt32LE(8) : 0;
      const layout = decodeSegmentLayout(await readAt(16 + headerLength), entry.file, size);
      if (layout.headerCrc.toString(16).padStart(8, "0") !== entry.crc32) {
        throw new IndexCorruptError(entry.file, "does not match its manifest entry (header checksum)");
      }
      const section = layout.sections.find((s) => s.kind === "ids")!;
      const ids = decodeSegmentIds(await readAt(layout.dataStart + section.offset + section.bytes), layout, entry.file);
      this.#ids.set(entry.name, ids);
      return ids;
    } finally {
      await handle.close();
    }
  }

  async readBlob(name: string): Promise<Uint8Array | undefined> {
    this.#check(false);
    const entry = this.#manifest.blobs[name];
    if (entry === undefined) return undefined;
    const bytes = await this.#readReferenced(entry.file, entry);
    if (crc32(bytes).toString(16).padStart(8, "0") !== entry.crc32) throw new IndexCorruptError(entry.file, "checksum mismatch");
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async openBlob(name: string): Promise<PositionalSource | undefined> {
    this.#check(false);
    const entry = this.#manifest.blobs[name];
    if (entry === undefined) return undefined;
    const path = join(this.dir, entry.file);
    let handle: FileHandle;
    let size: number;
    try {
      ({ handle, size } = await openRegularFile(path));
    } catch (error) {
      if (error instanceof NotRegularFileError) throw asCorrupt(error, entry.file);
      if (errno(error) === "ENOENT") await this.#readReferenced(entry.file, { bytes: -1 }); // throws INDEX_STALE or corrupt
      throw ioError("open", path, error);
    }
    try {
      if (size !== entry.bytes) throw new IndexCorruptError(entry.file, `${size} bytes, the manifest records ${entry.bytes}`);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const file = entry.file;
    const opened = handle;
    // The callback API on the handle's descriptor: FileHandle.read's promise machinery cost
    // ~2× as much per read, measured at thousands of 16 KB reads from the page cache.
    const readInto = async (target: Uint8Array, position: number): Promise<number> => {
      let done = 0;
      try {
        while (done < target.length) {
          const got = await readAt(opened.fd, target, done, position + done);
          if (got === 0) break;
          done += got;
        }
      } catch (error) {
        throw ioError("read", path, error);
      }
      return done;
    };
    return {
      file,
      bytes: entry.bytes,
      // A getter: FileHandle.fd turns -1 once closed, so a stale use fails instead of reading another file.
      get fd() {
        return opened.fd;
      },
      readInto,
      read: async (position, length) => {
        const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, entry.bytes - position)));
        const done = await readInto(buf, position);
        // A plain Uint8Array view: callers' .slice() must copy, which a Buffer's does not.
        return new Uint8Array(buf.buffer, buf.byteOffset, done);
      },
      readvInto: (targets, position) =>
        new Promise<number>((resolve, reject) =>
          readv(opened.fd, targets as Uint8Array[], position, (error, n) => (error ? reject(ioError("read", path, error)) : resolve(n))),
        ),
      close: () => opened.close(),
    };
  }

  commit(request: CommitRequest): Promise<Manifest> {
    this.#check(true);
    // Commits of one store run one after another: each builds on the previous manifest.
    const run = this.#queue.then(() => this.#commit(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commit(request: CommitRequest): Promise<Manifest> {
    this.#check(true);
    const dir = this.dir;
    const next = await planCommit(this.#manifest, request, {
      idsOf: (entry) => this.#idsOf(entry),
      writeSegment: async (name, segment) => {
        const { bytes, headerCrc } = encodeSegment(segment);
        const file = `${name}.seg`;
        await writeFileAtomic(join(dir, file), bytes, { syncDir: false }).catch((error: unknown) => {
          throw ioError("write", join(dir, file), error);
        });
        this.#ids.set(name, [...segment.ids]);
        return { file, bytes: bytes.length, crc32: headerCrc.toString(16).padStart(8, "0") };
      },
      writeBlob: async (name, bytes, generation): Promise<BlobEntry> => {
        const file = `blob-${String(generation).padStart(10, "0")}-${name}.bin`;
        await writeFileAtomic(join(dir, file), bytes, { syncDir: false }).catch((error: unknown) => {
          throw ioError("write", join(dir, file), error);
        });
        return { file, bytes: bytes.length, crc32: crc32(bytes).toString(16).padStart(8, "0") };
      },
    });
    const path = join(dir, manifestFileName(next.generation));
    try {
      // Segment and blob renames must be durable before the manifest that references them.
      await syncDir(dir);
      await writeFileAtomic(path, encodeManifest(next), { syncDir: false }); // the rename is the commit point
    } catch (error) {
      throw ioError("commit", path, error);
    }
    // From here on the commit is visible: adopt it even if making it durable fails, so that the
    // next commit never reuses this generation's file names.
    this.#manifest = next;
    this.#retained = [next, ...this.#retained].slice(0, this.#retain);
    const live = new Set(next.segments.map((s) => s.name));
    for (const name of this.#ids.keys()) if (!live.has(name)) this.#ids.delete(name);
    try {
      await syncDir(dir);
    } catch (error) {
      throw ioError("make durable the commit of", path, error);
    }
    await this.#gc().catch(() => undefined); // best effort: leftovers are collected on the next commit or open
    return next;
  }

  /** Deletes files that no retained manifest references (and a crashed writer's temp files). */
  async #gc(): Promise<void> {
    const keep = new Set(this.#retained.flatMap(referencedFiles));
    const oldest = Math.min(...this.#retained.map((m) => m.generation));
    const segment = /^seg-\d{10}-\d+\.seg$/;
    const blob = /^blob-\d{10}-[a-z0-9._-]+\.bin$/;
    let changed = false;
    for (const name of await readdir(this.dir)) {
      const generation = parseManifestFileName(name);
      let ours = (segment.test(name) && !keep.has(name)) || (blob.test(name) && !keep.has(name)) || (generation !== undefined && generation < oldest);
      const temp = name.startsWith(TEMP_PREFIX) ? /^\.tmp-[0-9a-f]+-(.*)$/.exec(name)?.[1] : undefined;
      if (temp !== undefined) {
        if (segment.test(temp) || blob.test(temp) || parseManifestFileName(temp) !== undefined) {
          ours = true; // a crashed commit's temp file: only this (locked) writer writes these
        } else if (temp.endsWith(LOCK_FILE)) {
          // Lock temps belong to processes trying to lock right now; leftovers are those of a
          // process that died (checked by pid, as the lock itself is), or old unreadable ones.
          const path = join(this.dir, name);
          const age = await stat(path).then(
            (st) => Date.now() - st.mtimeMs,
            () => 0,
          );
          ours = age > 60_000 || (await isAbandonedLockFile(path));
        }
        // Other temp files are not the index's (another component writing into the directory).
      }
      if (ours) {
        await unlink(join(this.dir, name)).catch(() => undefined);
        changed = true;
      }
    }
    if (changed) await syncDir(this.dir);
  }

  async refresh(): Promise<boolean> {
    this.#check(false);
    if (!this.readOnly) return false; // the writer always holds the newest snapshot
    const latest = await loadLatest(this.dir);
    if (latest.generation === this.#manifest.generation) return false;
    this.#manifest = latest;
    const live = new Set(latest.segments.map((s) => s.name));
    for (const name of this.#ids.keys()) if (!live.has(name)) this.#ids.delete(name);
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    this.#closed = true;
    await this.#lock?.release();
  }
}

function existsError(dir: string): MaxsimError {
  return new MaxsimError("INDEX_EXISTS", `An index already exists in ${dir}. Open it with open(), or choose another directory.`);
}
