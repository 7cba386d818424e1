/**
 * Reading index files as what they claim to be: regular files of a known, bounded size. A
 * segment replaced by a FIFO made `readFile` wait forever for a writer, a symlink to `/dev/zero`
 * made it read without end; both hung `open`. Here a file is opened with `O_NOFOLLOW` (a symlink
 * fails at once with `ELOOP`) and `O_NONBLOCK` (opening a FIFO does not wait for a writer), then
 * `fstat` on the open descriptor decides: anything but a regular file is refused before a byte is
 * read, and reads never go past the size `fstat` reported (nor a caller's limit). With a
 * {@link ReadBuffer}, bytes land in its reused buffer instead of a fresh one.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import type { ReadBuffer } from "./read-buffer.js";

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What a path holds instead of a regular file (`"a FIFO"`, `"a symbolic link"`, …). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Thrown by {@link readRegularFile} for a path that is not a regular file, or too large. */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} ${problem}`);
    this.name = "NotRegularFileError";
  }
}

/**
 * Reads the regular file at `path` whole, refusing symlinks, FIFOs, devices, directories and
 * files larger than `maxBytes` with a {@link NotRegularFileError}. Other `fs` errors (`ENOENT`,
 * `EACCES`, …) are thrown as they are.
 *
 * @example
 * ```ts
 * import { mkdtemp, writeFile, symlink } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { readRegularFile } from "./regular-file.js";
 * const dir = await mkdtemp(join(tmpdir(), "maxsim-"));
 * await writeFile(join(dir, "a"), "hi");
 * await symlink("/dev/zero", join(dir, "zero"));
 * console.log((await readRegularFile(join(dir, "a"), 1024)).toString()); // hi
 * console.log(await readRegularFile(join(dir, "zero"), 1024).catch((e: Error) => e.name)); // NotRegularFileError
 * ```
 */
export async function readRegularFile(path: string, maxBytes: number, into?: ReadBuffer): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new NotRegularFileError(path, "is a symbolic link");
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, `is ${fileKind(st)}, not a regular file`);
    if (st.size > maxBytes) throw new NotRegularFileError(path, `is ${st.size} bytes, more than the ${maxBytes} it may hold`);
    return await readFully(handle, 0, st.size, into);
  } finally {
    await handle.close();
  }
}

/**
 * Opens the regular file at `path` for reading (same refusals as {@link readRegularFile}) and
 * returns the handle with its size; the caller closes it.
 */
export async function openRegularFile(path: string): Promise<{ handle: import("node:fs/promises").FileHandle; size: number }> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new NotRegularFileError(path, "is a symbolic link");
    throw error;
  }
  const st = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!st.isFile()) {
    await handle.close();
    throw new NotRegularFileError(path, `is ${fileKind(st)}, not a regular file`);
  }
  return { handle, size: st.size };
}

/**
 * Reads `length` bytes at `position`, looping over short reads (a single `read` may return fewer
 * bytes than asked). Returns fewer only at end of file: a file that shrank meanwhile, which the
 * caller's size and checksum checks then report.
 */
export async function readFully(handle: FileHandle, position: number, length: number, into?: ReadBuffer): Promise<Buffer> {
  const buf = into?.take(length) ?? Buffer.allocUnsafe(length);
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(buf, offset, length - offset, position + offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return offset === length ? buf : buf.subarray(0, offset);
}
