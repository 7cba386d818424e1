/**
 * The single-writer lock of an index directory: a `LOCK` file holding the writer's pid, host name,
 * process start time and a random nonce. It is created complete and atomically (write a temp file,
 * then `link` it to `LOCK`, which fails when `LOCK` exists — the O_EXCL guarantee without a window
 * where the file exists but is empty). A lock whose pid is dead on this host (or whose pid now
 * belongs to a process that started later) is stale and taken over.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { link, rename, unlink, writeFile } from "node:fs/promises";
import { NotRegularFileError, readRegularFile } from "./regular-file.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MaxsimError } from "../errors.js";
import { TEMP_PREFIX } from "./atomic.js";

/** Name of the lock file inside an index directory. */
export const LOCK_FILE = "LOCK";

/** What a lock file records about its holder. */
export interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  /** Process start time in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), if known. */
  readonly startTime?: number;
  readonly nonce: string;
  readonly acquiredAt: string;
}

/** A held writer lock. */
export interface WriterLock {
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Start time of `pid` from /proc (Linux), or undefined where unavailable. */
function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` names a live process (EPERM means it exists but belongs to someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === "number" && typeof v.hostname === "string" && typeof v.nonce === "string") return v as LockInfo;
  } catch {
    // unparsable: handled by the caller
  }
  return undefined;
}

/** Why a lock held by `info` is stale, or undefined when its holder may be alive. */
function staleReason(info: LockInfo): string | undefined {
  if (info.hostname !== hostname()) return undefined; // cannot check a pid on another machine
  if (!pidAlive(info.pid)) return `process ${info.pid} is not running`;
  if (info.startTime !== undefined) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.startTime) return `pid ${info.pid} now belongs to another process`;
  }
  return undefined;
}

/**
 * True when the lock file (or a lock temp file) at `path` names a process on this host that is no
 * longer running: what a writer killed while taking or moving the lock leaves behind. Files of
 * live or unknown holders, and unreadable files, are not abandoned.
 */
export async function isAbandonedLockFile(path: string): Promise<boolean> {
  const info = await readLockText(path).then(parseLock, () => undefined);
  return info !== undefined && staleReason(info) !== undefined;
}

/** Lock files are a few hundred bytes; anything larger is not ours. */
const MAX_LOCK_BYTES = 64 * 1024;

/** Reads a lock (or lock temp) file as text; refuses FIFOs, directories, symlinks and devices. */
function readLockText(path: string): Promise<string> {
  return readRegularFile(path, MAX_LOCK_BYTES).then((b) => b.toString("utf8"));
}

function lockIoError(dir: string, error: unknown): MaxsimError {
  const path = join(dir, LOCK_FILE);
  if (error instanceof NotRegularFileError) {
    return new MaxsimError(
      "IO_ERROR",
      `The writer lock ${path} ${error.problem}, so the index cannot be locked. Remove it (no maxsim writer creates such a file) and open the index again.`,
      { cause: error },
    );
  }
  return new MaxsimError(
    "IO_ERROR",
    `Could not take the writer lock ${path}: ${(error as Error).message}. Check that the index directory exists and is writable, or open the index with { readOnly: true }.`,
    { cause: error },
  );
}

function lockedError(dir: string, info: LockInfo | undefined): MaxsimError {
  const path = join(dir, LOCK_FILE);
  const who = info ? `process ${info.pid} on host ${info.hostname} (since ${info.acquiredAt})` : "an unknown process (the lock file is unreadable)";
  return new MaxsimError(
    "INDEX_LOCKED",
    `Index ${dir} is locked for writing by ${who}. Only one writer may open an index at a time: close that writer, ` +
      `or open this one with { readOnly: true }. If no writer is running (e.g. it crashed on another host), delete ${path}.`,
  );
}

/**
 * Takes the writer lock of `dir`, taking over a stale lock left by a dead process.
 *
 * @param dir - the index directory (must exist).
 * @returns the held lock; call `release()` when closing.
 * @throws MaxsimError `INDEX_LOCKED` naming the holder's pid and how to recover; `IO_ERROR` when
 *   `LOCK` is not a regular file (a directory, FIFO, symlink…) or the directory is not writable.
 *
 * @example
 * ```ts
 * import { acquireWriterLock } from "@maxsim/core";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const lock = await acquireWriterLock(await mkdtemp(join(tmpdir(), "maxsim-")));
 * console.log(lock.info.pid === process.pid); // true
 * await lock.release();
 * ```
 */
export async function acquireWriterLock(dir: string): Promise<WriterLock> {
  try {
    return await takeLock(dir);
  } catch (error) {
    throw MaxsimError.isInstance(error) ? error : lockIoError(dir, error);
  }
}

async function takeLock(dir: string): Promise<WriterLock> {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    hostname: hostname(),
    ...(processStartTime(process.pid) === undefined ? {} : { startTime: processStartTime(process.pid)! }),
    nonce: randomBytes(8).toString("hex"),
    acquiredAt: new Date().toISOString(),
  };
  const temp = join(dir, `${TEMP_PREFIX}${info.nonce}-${LOCK_FILE}`);
  await writeFile(temp, JSON.stringify(info));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, path);
        return makeLock(path, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      let text: string;
      try {
        text = await readLockText(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // released meanwhile
        throw error;
      }
      const holder = parseLock(text);
      if (holder === undefined || staleReason(holder) === undefined) throw lockedError(dir, holder);
      // Stale: move it aside, then check we moved the lock we judged (another process may have
      // taken the stale lock over between our read and our rename).
      const aside = join(dir, `${TEMP_PREFIX}${info.nonce}-stale-${LOCK_FILE}`);
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const moved = parseLock(await readLockText(aside).catch(() => ""));
      if (moved?.nonce !== holder.nonce) {
        // We displaced a live lock: put it back (link fails if a third process got in; then it holds the lock).
        await link(aside, path).catch(() => undefined);
        await unlink(aside).catch(() => undefined);
        throw lockedError(dir, moved);
      }
      await unlink(aside);
    }
    throw lockedError(dir, undefined);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function makeLock(path: string, info: LockInfo): WriterLock {
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      const text = await readLockText(path).catch(() => "");
      if (parseLock(text)?.nonce === info.nonce) await unlink(path).catch(() => undefined);
    },
  };
}
