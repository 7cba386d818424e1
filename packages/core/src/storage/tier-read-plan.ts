/**
 * A plan for reading many row ranges out of disk-tier files: which positional (vectored) reads to
 * make, which blocks to check against their CRC-32 afterwards, and which bytes to copy into the
 * output. Planning is pure, so the same plan runs on the calling thread (async reads) or on the
 * reader thread (`tier-read-thread.ts`, sync reads), and both check and copy the same way.
 *
 * A plan's numbers are plain arrays: it is posted to the reader thread, and a structured clone of
 * a few thousand numbers costs less than building typed arrays of unknown length.
 */

/**
 * Where an I/O vector or a check points: 0, the caller's output buffer (rows that cover their
 * blocks exactly land there directly); 1, the plan's scratch of `scratchBytes` (blocks whose rows
 * are copied out after their check); 2, the gap: throwaway bytes between two spans of one
 * vectored read, never checked or used. Plain numbers: the reader thread cannot import an enum.
 */
export type Target = 0 | 1 | 2;
const OUT = 0;
const SCRATCH = 1;
const GAP = 2;

/** Geometry of one open disk-tier file, as a plan needs it. */
export interface TierGeometry {
  readonly rows: number;
  readonly rowBytes: number;
  readonly blockRows: number;
  /** Byte offset of block 0 in the file. */
  readonly dataStart: number;
  /** CRC-32 of every block. */
  readonly table: Uint32Array;
}

/** Rows `[from, to)` of a disk-tier file, to be copied into an output buffer at byte offset `at`. */
export interface RowRange {
  from: number;
  to: number;
  at: number;
}

/**
 * Reads in order; read `r` uses the entries `[end[r-1], end[r])` of each group below (its I/O
 * vectors, then the checks and copies that follow it).
 */
export interface ReadPlan {
  /** Per read: the file (index into the caller's file list), its byte position, its last block. */
  readFile: number[];
  readPosition: number[];
  readLastBlock: number[];
  iovEnd: number[];
  checkEnd: number[];
  copyEnd: number[];
  /** Per I/O vector: target, byte offset in it (0 for the gap), bytes. */
  iovTarget: Target[];
  iovAt: number[];
  iovBytes: number[];
  /** Per check: target, byte offset, bytes, expected CRC-32, block number (for errors). */
  checkTarget: Target[];
  checkAt: number[];
  checkBytes: number[];
  checkCrc: number[];
  checkBlock: number[];
  /** Per copy, from the scratch to the output: source offset, destination offset, bytes. */
  copyFrom: number[];
  copyTo: number[];
  copyBytes: number[];
  /** Bytes of scratch and of gap the plan needs. */
  scratchBytes: number;
  gapBytes: number;
}

/**
 * A plan as posted to the reader thread: every list as a `Float64Array`, which is cloned as one
 * copy of its bytes where a list of numbers is cloned number by number.
 */
export type PackedPlan = { [K in keyof ReadPlan]: ReadPlan[K] extends number ? number : Float64Array };

/** `plan` with its lists as `Float64Array`s (exact for every offset, count and CRC-32). */
export function packPlan(plan: ReadPlan): PackedPlan {
  const packed = {} as Record<string, number | Float64Array>;
  for (const [key, value] of Object.entries(plan)) packed[key] = typeof value === "number" ? value : Float64Array.from(value as number[]);
  return packed as PackedPlan;
}

/**
 * Unneeded blocks an async vectored read may span between two needed ones (their bytes are
 * discarded): there the read calls, not the bytes copied, were most of the cost (measured at
 * 16,384 documents of 16 KB from the page cache). The reader thread's sync reads cost little per
 * call, so it joins only adjacent spans (gap 0) and copies half the bytes.
 */
export const ASYNC_GAP_BLOCKS = 16;
/** Buffers of one vectored read at most (IOV_MAX is 1024 on Linux). */
export const MAX_IOV = 512;

/** An empty plan, to which {@link planRanges} appends each file's reads. */
export function emptyPlan(): ReadPlan {
  return {
    readFile: [],
    readPosition: [],
    readLastBlock: [],
    iovEnd: [],
    checkEnd: [],
    copyEnd: [],
    iovTarget: [],
    iovAt: [],
    iovBytes: [],
    checkTarget: [],
    checkAt: [],
    checkBytes: [],
    checkCrc: [],
    checkBlock: [],
    copyFrom: [],
    copyTo: [],
    copyBytes: [],
    scratchBytes: 0,
    gapBytes: 0,
  };
}

/**
 * Appends to `plan` the reads of `ranges` (already bounds-checked) from file `fileIndex`.
 * Ranges that share blocks form one span, read once. A span of one range that covers its blocks
 * exactly (a document that starts and ends on block edges) is read straight into the output,
 * saving a copy of every byte; others go through the scratch. Spans up to `maxGapBlocks` apart
 * share one vectored read (`null`: no vectored reads), the blocks between them landing in the gap.
 */
export function planRanges(plan: ReadPlan, fileIndex: number, file: TierGeometry, ranges: readonly RowRange[], maxGapBlocks: number | null): void {
  const { blockRows, rowBytes, rows, table } = file;
  const blockBytes = blockRows * rowBytes;
  const order = ranges.filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
  const endRow = (b: number) => Math.min(rows, (b + 1) * blockRows);
  let prevLast = -Infinity;
  let iovs = 0;
  const closeRead = () => {
    plan.iovEnd.push(plan.iovTarget.length);
    plan.checkEnd.push(plan.checkTarget.length);
    plan.copyEnd.push(plan.copyFrom.length);
  };
  for (let i = 0; i < order.length; ) {
    const b0 = Math.floor(order[i]!.from / blockRows);
    let b1 = Math.floor((order[i]!.to - 1) / blockRows);
    let j = i + 1;
    while (j < order.length && Math.floor(order[j]!.from / blockRows) <= b1) b1 = Math.max(b1, Math.floor((order[j++]!.to - 1) / blockRows));
    const spanBytes = (endRow(b1) - b0 * blockRows) * rowBytes;
    const direct = j === i + 1 && order[i]!.from === b0 * blockRows && order[i]!.to === endRow(b1);
    const gapBlocks = b0 - prevLast - 1;
    if (maxGapBlocks !== null && gapBlocks <= maxGapBlocks && iovs + 2 <= MAX_IOV) {
      // Continue the open read: undo its end marks, add the gap, then this span.
      plan.iovEnd.pop();
      plan.checkEnd.pop();
      plan.copyEnd.pop();
      if (gapBlocks > 0) {
        plan.iovTarget.push(GAP);
        plan.iovAt.push(0);
        plan.iovBytes.push(gapBlocks * blockBytes);
        plan.gapBytes = Math.max(plan.gapBytes, gapBlocks * blockBytes);
        iovs++;
      }
      plan.readLastBlock[plan.readLastBlock.length - 1] = b1;
    } else {
      plan.readFile.push(fileIndex);
      plan.readPosition.push(file.dataStart + b0 * blockBytes);
      plan.readLastBlock.push(b1);
      iovs = 0;
    }
    const target: Target = direct ? OUT : SCRATCH;
    const at = direct ? order[i]!.at : plan.scratchBytes;
    plan.iovTarget.push(target);
    plan.iovAt.push(at);
    plan.iovBytes.push(spanBytes);
    iovs++;
    for (let b = b0; b <= b1; b++) {
      plan.checkTarget.push(target);
      plan.checkAt.push(at + (b - b0) * blockBytes);
      plan.checkBytes.push((endRow(b) - b * blockRows) * rowBytes);
      plan.checkCrc.push(table[b]!);
      plan.checkBlock.push(b);
    }
    if (!direct) {
      const first = b0 * blockRows;
      for (let x = i; x < j; x++) {
        const r = order[x]!;
        plan.copyFrom.push(at + (r.from - first) * rowBytes);
        plan.copyTo.push(r.at);
        plan.copyBytes.push((r.to - r.from) * rowBytes);
      }
      plan.scratchBytes += spanBytes + ((8 - (spanBytes % 8)) % 8);
    }
    closeRead();
    prevLast = b1;
    i = j;
  }
}
