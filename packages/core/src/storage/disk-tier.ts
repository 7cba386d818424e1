/**
 * The disk-tier file format: fixed-size rows (e.g. float16 token vectors) cut into blocks, each
 * block with its own CRC-32, so a reader fetches and verifies only the blocks of the rows it needs
 * (positional reads) instead of loading and checking the whole file.
 *
 * ```
 * offset 0   8 bytes  magic "MXSMTIER"
 *        8   u32 LE   header length L
 *        12  u32 LE   CRC-32 of the header bytes
 *        16  L bytes  header JSON: { version, rows, rowBytes, blockRows, blocks, tableCrc }
 *            zero padding to a multiple of 8 → block table: `blocks` × u32 LE CRC-32 (its own CRC is tableCrc)
 *            zero padding to a multiple of 8 → data start: rows back to back; block b holds rows
 *            [b·blockRows, min(rows, (b+1)·blockRows))
 * ```
 * Opening reads the header and the block table only (a few KB). A flipped byte in a block is an
 * {@link IndexCorruptError} naming the file and the block when that block is read — never a
 * wrong value. The shape is LevelDB's per-block checksums; the blocks are small (~4 KB) so that
 * reading one document's rows reads little more than those rows.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { ASYNC_GAP_BLOCKS, emptyPlan, planRanges, type RowRange } from "./tier-read-plan.js";
import { blockChecksumError, runPlanHere, shortReadError, type PlanFile } from "./tier-read-run.js";

export type { RowRange } from "./tier-read-plan.js";

/** Current disk-tier format version; files with a higher version give `INDEX_VERSION`. */
export const DISK_TIER_VERSION = 1;

const MAGIC = new Uint8Array([0x4d, 0x58, 0x53, 0x4d, 0x54, 0x49, 0x45, 0x52]); // "MXSMTIER"
const PREFIX = 16;
/** Target block size: one page, so a document's rows cost few reads and little CRC work. */
const BLOCK_BYTES = 4096;

const align8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

interface TierHeader {
  version: number;
  rows: number;
  rowBytes: number;
  blockRows: number;
  blocks: number;
  tableCrc: number;
}

/** Reads `length` bytes at `position` of one file (a `FileHandle`, or bytes in memory). */
export interface PositionalSource {
  /** File name used in errors. */
  readonly file: string;
  /** File size in bytes. */
  readonly bytes: number;
  read(position: number, length: number): Promise<Uint8Array>;
  /**
   * Reads bytes at `position` into all of `target`, returning how many were read (fewer only at
   * the end of the file). Optional: without it, {@link PositionalSource.read} is copied from.
   */
  readInto?(target: Uint8Array, position: number): Promise<number>;
  /**
   * One vectored read at `position` filling `targets` in turn (`preadv`), returning the bytes
   * read. Optional: without it, ranges are read one {@link PositionalSource.readInto} each.
   */
  readvInto?(targets: readonly Uint8Array[], position: number): Promise<number>;
  /**
   * The open file descriptor, when the source is a file: the reader thread reads through it
   * (sync positional reads) while the calling thread scores. Valid until `close`.
   */
  readonly fd?: number;
  close(): Promise<void>;
}

/**
 * Encodes rows of `rowBytes` bytes each into a disk-tier file.
 *
 * @throws MaxsimError `INVALID_INPUT` when `data` is not a whole number of rows
 * @example
 * ```ts
 * import { encodeDiskTier } from "@maxsim/core";
 * console.log(encodeDiskTier(new Uint8Array(8), 4).length > 8); // true
 * ```
 */
export function encodeDiskTier(data: Uint8Array, rowBytes: number): Uint8Array {
  if (!Number.isSafeInteger(rowBytes) || rowBytes < 1 || data.length % rowBytes !== 0) {
    throw new MaxsimError(
      "INVALID_INPUT",
      `Disk-tier rows must be ${rowBytes} bytes each, but ${data.length} bytes are not a whole number of rows. Pass complete rows.`,
    );
  }
  const rows = data.length / rowBytes;
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / rowBytes));
  const blocks = Math.ceil(rows / blockRows);
  const table = new Uint32Array(blocks);
  for (let b = 0; b < blocks; b++) table[b] = crc32(data.subarray(b * blockRows * rowBytes, Math.min(rows, (b + 1) * blockRows) * rowBytes));
  const tableBytes = new Uint8Array(table.buffer);
  const header: TierHeader = { version: DISK_TIER_VERSION, rows, rowBytes, blockRows, blocks, tableCrc: crc32(tableBytes) };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const tableStart = align8(PREFIX + headerBytes.length);
  const dataStart = align8(tableStart + tableBytes.length);
  const out = new Uint8Array(dataStart + data.length);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, headerBytes.length, true);
  view.setUint32(12, crc32(headerBytes), true);
  out.set(headerBytes, PREFIX);
  out.set(tableBytes, tableStart);
  out.set(data, dataStart);
  return out;
}

const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** An open disk-tier file: row reads verified block by block. Obtain one with {@link DiskTierFile.open}. */
export class DiskTierFile implements PlanFile {
  private constructor(
    /** @internal Where the bytes come from (read plans read it directly). */
    readonly source: PositionalSource,
    readonly rows: number,
    readonly rowBytes: number,
    /** @internal Rows per checksummed block. */
    readonly blockRows: number,
    /** @internal CRC-32 of every block. */
    readonly table: Uint32Array,
    /** @internal Byte offset of block 0. */
    readonly dataStart: number,
  ) {}

  /** The file name (for errors). */
  get file(): string {
    return this.source.file;
  }

  /**
   * Reads and checks the header and the block table of `source`.
   *
   * @throws {@link IndexCorruptError} naming the file (bad magic, header, table or size);
   *   MaxsimError `INDEX_VERSION` for a newer format
   */
  static async open(source: PositionalSource): Promise<DiskTierFile> {
    const file = source.file;
    const prefix = await source.read(0, Math.min(PREFIX, source.bytes));
    if (prefix.length < PREFIX) throw new IndexCorruptError(file, `truncated: ${prefix.length} bytes, a disk-tier header needs ${PREFIX}`);
    for (let i = 0; i < MAGIC.length; i++) if (prefix[i] !== MAGIC[i]) throw new IndexCorruptError(file, "bad magic bytes (not a maxsim disk-tier file)");
    const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    const length = view.getUint32(8, true);
    if (PREFIX + length > source.bytes) throw new IndexCorruptError(file, `truncated: header of ${length} bytes does not fit in ${source.bytes} bytes`);
    const headerBytes = await source.read(PREFIX, length);
    if (crc32(headerBytes) !== view.getUint32(12, true)) throw new IndexCorruptError(file, "header checksum mismatch");
    let h: TierHeader;
    try {
      h = JSON.parse(decoder.decode(headerBytes)) as TierHeader;
    } catch (cause) {
      throw new IndexCorruptError(file, "header is not valid JSON", { cause });
    }
    if (typeof h !== "object" || h === null || !isUint(h.version)) throw new IndexCorruptError(file, "header has no format version");
    if (h.version > DISK_TIER_VERSION) {
      throw new MaxsimError(
        "INDEX_VERSION",
        `Disk-tier file ${file} has format version ${h.version}, but this @maxsim/core reads versions up to ${DISK_TIER_VERSION}. Upgrade @maxsim/core to open this index.`,
      );
    }
    if (
      ![h.rows, h.rowBytes, h.blockRows, h.blocks, h.tableCrc].every(isUint) ||
      h.rowBytes < 1 ||
      h.blockRows < 1 ||
      h.blocks !== Math.ceil(h.rows / h.blockRows)
    ) {
      throw new IndexCorruptError(file, "header fields are missing or inconsistent");
    }
    const tableStart = align8(PREFIX + length);
    const dataStart = align8(tableStart + 4 * h.blocks);
    if (dataStart + h.rows * h.rowBytes !== source.bytes) {
      throw new IndexCorruptError(file, `${source.bytes} bytes, the header implies ${dataStart + h.rows * h.rowBytes}`);
    }
    const tableBytes = (await source.read(tableStart, 4 * h.blocks)).slice();
    if (crc32(tableBytes) !== h.tableCrc) throw new IndexCorruptError(file, "block table checksum mismatch");
    return new DiskTierFile(source, h.rows, h.rowBytes, h.blockRows, new Uint32Array(tableBytes.buffer, 0, h.blocks), dataStart);
  }

  /**
   * Rows `[from, to)` as bytes, every block they touch read in one positional read and verified.
   *
   * @throws {@link IndexCorruptError} naming the file and the block on a checksum mismatch;
   *   MaxsimError `INVALID_INPUT` for rows outside the file
   */
  async readRows(from: number, to: number): Promise<Uint8Array> {
    this.checkRows(from, to);
    if (from === to) return new Uint8Array(0);
    const { blockRows, rowBytes } = this;
    const b0 = Math.floor(from / blockRows);
    const b1 = Math.floor((to - 1) / blockRows);
    const first = b0 * blockRows;
    const last = Math.min(this.rows, (b1 + 1) * blockRows);
    const bytes = await this.source.read(this.dataStart + first * rowBytes, (last - first) * rowBytes);
    if (bytes.length !== (last - first) * rowBytes) throw shortReadError(this, b1);
    this.verify(bytes, b0, b1);
    return bytes.subarray((from - first) * rowBytes, (to - first) * rowBytes);
  }

  /**
   * Copies the rows of every range into `out` at its byte offset. Ranges that share blocks are
   * read together, spans a few blocks apart in one vectored read when the source has one, all
   * reads are in flight at once, and every block is verified once (see `planRanges`). It
   * returns (or throws) only once no read still writes into `out` or the scratch buffer.
   * `scratch(bytes)` lends the buffer blocks are read into before their rows are copied out;
   * `out` must not overlap it.
   *
   * @throws {@link IndexCorruptError} naming the file and the block on a checksum mismatch;
   *   MaxsimError `INVALID_INPUT` for rows outside the file
   */
  async readRanges(ranges: readonly RowRange[], out: Uint8Array, scratch: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)): Promise<void> {
    for (const r of ranges) this.checkRows(r.from, r.to);
    const plan = emptyPlan();
    planRanges(plan, 0, this, ranges, this.source.readvInto !== undefined ? ASYNC_GAP_BLOCKS : null);
    if (plan.readFile.length === 0) return;
    await runPlanHere(plan, [this], out, scratch(plan.scratchBytes).subarray(0, plan.scratchBytes));
  }

  /** `INVALID_INPUT` unless `[from, to)` is a range of this file's rows. */
  private checkRows(from: number, to: number): void {
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= this.rows)) {
      throw new MaxsimError(
        "INVALID_INPUT",
        `Rows [${from}, ${to}) are outside disk-tier file ${this.file} (${this.rows} rows). Read rows the index recorded for it.`,
      );
    }
  }

  /** Checks blocks `b0..b1` of `bytes` (which starts at block `b0`) against the block table. */
  private verify(bytes: Uint8Array, b0: number, b1: number): void {
    const { blockRows, rowBytes, rows } = this;
    for (let b = b0; b <= b1; b++) {
      const lo = (b - b0) * blockRows * rowBytes;
      const hi = (Math.min(rows, (b + 1) * blockRows) - b0 * blockRows) * rowBytes;
      if (crc32(bytes.subarray(lo, hi)) !== this.table[b]) throw blockChecksumError(this, b);
    }
  }

  /** Closes the underlying file. */
  close(): Promise<void> {
    return this.source.close();
  }
}

/** A {@link PositionalSource} over bytes in memory (the in-memory store's files). */
export function memorySource(file: string, bytes: Uint8Array): PositionalSource {
  return {
    file,
    bytes: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
    readInto: async (target, position) => {
      const got = bytes.subarray(position, Math.min(bytes.length, position + target.length));
      target.set(got);
      return got.length;
    },
    close: async () => undefined,
  };
}
