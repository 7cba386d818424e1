/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. After a crash at any point the target holds either its old
 * bytes or its new bytes, never a mix (POSIX rename is atomic; the directory fsync makes the
 * rename itself durable). The same sequence as LevelDB/RocksDB's `CURRENT` file switch.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of every temp file storage writes; the index writer deletes leftovers on open. */
export const TEMP_PREFIX = ".tmp-";

/** Options for {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * fsync the directory after the rename. Pass `false` when writing several files that a later
   * {@link syncDir} (or a later `writeFileAtomic` with the default) makes durable together.
   * @defaultValue true
   */
  syncDir?: boolean;
}

/**
 * Replaces `path` with `bytes` atomically and durably (temp file → fsync → rename → fsync dir).
 *
 * @param path - target file; its directory must exist.
 * @param bytes - the complete new content.
 * @param options - see {@link WriteFileAtomicOptions}.
 * @throws the underlying `fs` error (ENOSPC, EACCES, …); the temp file is removed on failure.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "@maxsim/core";
 * import { mkdtemp, readFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const path = join(await mkdtemp(join(tmpdir(), "maxsim-")), "hello.txt");
 * await writeFileAtomic(path, new TextEncoder().encode("hi"));
 * console.log(await readFile(path, "utf8")); // "hi"
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString("hex")}-${basename(path)}`);
  const handle = await open(temp, "wx", 0o644);
  try {
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (options.syncDir ?? true) await syncDir(dir);
}

/**
 * fsyncs a directory so that renames, creations and deletions inside it survive a power loss.
 *
 * @param dir - the directory.
 * @throws the underlying `fs` error.
 *
 * @example
 * ```ts
 * import { syncDir } from "@maxsim/core";
 * import { tmpdir } from "node:os";
 * await syncDir(tmpdir()); // the directory's entries (renames, creations, deletions) are now durable
 * ```
 */
export async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; its renames are journaled by NTFS instead.
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
