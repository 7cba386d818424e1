/**
 * The disk tier of a two-tier index (`diskTier: "float16"`): every token's float16 row lives in
 * immutable blobs `tier-<n>` (the block-checksummed format of `storage/disk-tier.ts`, one blob per
 * add), while memory holds the residual codes that generate and rank candidates. Rows are read
 * with positional reads, verified per block, only for the documents that are rescored, so the
 * final top-k is scored as exactly as a float16 index would score it. Tier blobs never change:
 * retraining and compaction rewrite the (small) RAM segments and keep pointing at the same tier
 * rows, so a reader on an older snapshot keeps reading the rows it was given.
 *
 * {@link TierFiles} (one per index) opens blobs lazily and keeps a bounded number of them open;
 * {@link TierRows} (one per slot table) records each slot's blob and first row.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import type { FlatTokens, TokenBlocks } from "../scoring/flat-tokens.js";
import { fromFloat16 } from "../storage/codecs/float16.js";
import { DiskTierFile, type RowRange } from "../storage/disk-tier.js";
import { ASYNC_GAP_BLOCKS, emptyPlan, planRanges } from "../storage/tier-read-plan.js";
import { planError, runPlanHere } from "../storage/tier-read-run.js";
import { ReaderThreadStopped, tierReadThread, type ThreadRead } from "../storage/tier-read-thread.js";
import type { IndexStore } from "../storage/index-store.js";
import { releaseScratch, takeScratch } from "./scratch-pool.js";

/** Open tier files kept at most (file descriptors); idle ones beyond it are closed. */
const MAX_OPEN = 64;

/** The blob name of tier file `n`. */
export function tierBlobName(n: number): string {
  return `tier-${n}`;
}

/** Float16 rows gathered from the disk tier, and the buffer that holds them. */
export interface GatheredBits extends TokenBlocks {
  /** The buffer the rows are in: the one `into` lent, or (after the reader thread) its successor. */
  buffer: ArrayBufferLike;
}

/** Lazily opened tier blobs of one index, at most {@link MAX_OPEN} open while idle. */
export class TierFiles {
  private readonly open = new Map<number, { file: Promise<DiskTierFile>; users: number }>();
  /** Set by {@link TierFiles.closeAll}: files in use are closed when their last read ends. */
  private closing = false;

  constructor(private readonly store: IndexStore) {}

  /** Runs `fn` on tier file `n` (opened when needed; not closed while `fn` runs). */
  with<T>(n: number, fn: (file: DiskTierFile) => Promise<T>): Promise<T> {
    return this.withAll([n], (files) => fn(files[0]!));
  }

  /** Runs `fn` on tier files `ns` (opened at once when needed; none closed while `fn` runs). */
  async withAll<T>(ns: readonly number[], fn: (files: DiskTierFile[]) => Promise<T>): Promise<T> {
    const slots = ns.map((n) => this.acquire(n));
    try {
      const opened = await Promise.allSettled(slots.map((s) => s.file));
      const failed = opened.find((o) => o.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      return await fn(opened.map((o) => (o as PromiseFulfilledResult<DiskTierFile>).value));
    } finally {
      ns.forEach((n, i) => this.release(n, slots[i]!));
      this.evict();
    }
  }

  private acquire(n: number): { file: Promise<DiskTierFile>; users: number } {
    let slot = this.open.get(n);
    if (slot === undefined) {
      slot = { file: this.openFile(n), users: 0 };
      this.open.set(n, slot);
      const opening = slot;
      slot.file.catch(() => this.open.get(n) === opening && this.open.delete(n));
    } else {
      // Most recently used last (Map order), so eviction closes the oldest idle file.
      this.open.delete(n);
      this.open.set(n, slot);
    }
    slot.users++;
    return slot;
  }

  private release(n: number, slot: { file: Promise<DiskTierFile>; users: number }): void {
    slot.users--;
    // After closeAll(), a read that was still running (e.g. beside one that failed) closes its file.
    if (this.closing && slot.users === 0 && this.open.get(n) === slot) {
      this.open.delete(n);
      void slot.file.then((f) => f.close()).catch(() => undefined);
    }
  }

  private async openFile(n: number): Promise<DiskTierFile> {
    const source = await this.store.openBlob(tierBlobName(n));
    if (source === undefined) {
      throw new MaxsimError(
        "INDEX_STALE",
        `Disk-tier blob ${tierBlobName(n)} is not in the snapshot ${this.store.dir ?? "in memory"} is on (a writer rewrote the index since this snapshot was loaded). Call refresh() and search again.`,
      );
    }
    try {
      return await DiskTierFile.open(source);
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  private evict(): void {
    if (this.open.size <= MAX_OPEN) return;
    for (const [n, slot] of this.open) {
      if (this.open.size <= MAX_OPEN) break;
      if (slot.users > 0) continue;
      this.open.delete(n);
      void slot.file.then((f) => f.close()).catch(() => undefined);
    }
  }

  /** Closes every open file (at close): idle ones now, ones in use when their reads end. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const idle = [...this.open].filter(([, s]) => s.users === 0);
    for (const [n] of idle) this.open.delete(n);
    await Promise.all(idle.map(([, s]) => s.file.then((f) => f.close()).catch(() => undefined)));
  }
}

/** Per slot, the tier file and first row of its tokens; moved along when slots are compacted. */
export class TierRows {
  file = new Int32Array(1024);
  row = new Int32Array(1024);

  constructor(
    readonly files: TierFiles,
    readonly dim: number,
  ) {}

  /** Makes room for `slots` slots. */
  reserve(slots: number): void {
    if (slots <= this.file.length) return;
    const f = new Int32Array(slots);
    f.set(this.file);
    const r = new Int32Array(slots);
    r.set(this.row);
    this.file = f;
    this.row = r;
  }

  /** Records that `slot`'s rows start at row `row` of tier file `file`. */
  set(slot: number, file: number, row: number): void {
    if (slot >= this.file.length) {
      const n = Math.max(2 * this.file.length, slot + 1);
      const f = new Int32Array(n);
      f.set(this.file);
      const r = new Int32Array(n);
      r.set(this.row);
      this.file = f;
      this.row = r;
    }
    this.file[slot] = file;
    this.row[slot] = row;
  }

  /** Moves slot `from`'s location to slot `to` (compaction). */
  move(from: number, to: number): void {
    this.file[to] = this.file[from]!;
    this.row[to] = this.row[from]!;
  }

  /** The tier files slots `[0, slots)` read. */
  referenced(slots: number): Set<number> {
    return new Set(this.file.subarray(0, slots));
  }

  /** Decodes `n` float16 rows of `slot`, from its row `skip` on, into `out` from row `outRow`. */
  async readSlot(slot: number, n: number, out: Float32Array, outRow: number, skip = 0): Promise<void> {
    const dim = this.dim;
    await this.withBits(slot, n, skip, (bits) => fromFloat16(bits, out.subarray(outRow * dim, (outRow + n) * dim)));
  }

  /** Reads (and verifies) `n` rows of `slot` from row `skip` and hands their float16 bits to `use`. */
  private async withBits(slot: number, n: number, skip: number, use: (bits: Uint16Array) => void): Promise<void> {
    const dim = this.dim;
    await this.files.with(this.file[slot]!, async (file) => {
      const start = this.row[slot]! + skip;
      this.checkRange(file, start, n);
      const bytes = await file.readRows(start, start + n);
      const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
      use(new Uint16Array(aligned.buffer, aligned.byteOffset, n * dim));
    });
  }

  /**
   * The float16 rows of `slots` back to back, as stored (bits, into `into(halves)` when given):
   * the kernel casts them inside ONNX Runtime, which is cheaper than decoding them here. One read
   * plan covers every tier file the slots are in (see `planRanges`); it runs on the reader
   * thread when it can (`storage/tier-read-thread.ts`). The buffer `into` lends then moves to
   * that thread and back: the result's `buffer` is the one to reuse, the lent one is detached.
   */
  async gatherBits(slots: Int32Array, offsets: Int32Array, into?: (halves: number) => Uint16Array): Promise<GatheredBits> {
    const dim = this.dim;
    const at = new Int32Array(slots.length + 1);
    slots.forEach((s, i) => (at[i + 1] = at[i]! + offsets[s + 1]! - offsets[s]!));
    const halves = at[slots.length]! * dim;
    let bits = into !== undefined ? into(halves).subarray(0, halves) : new Uint16Array(halves);
    const byFile = new Map<number, RowRange[]>();
    slots.forEach((s, i) => {
      const n = at[i + 1]! - at[i]!;
      if (n === 0) return;
      const file = this.file[s]!;
      let ranges = byFile.get(file);
      if (ranges === undefined) byFile.set(file, (ranges = []));
      ranges.push({ from: this.row[s]!, to: this.row[s]! + n, at: at[i]! * dim * 2 });
    });
    const numbers = [...byFile.keys()];
    await this.files.withAll(numbers, async (files) => {
      const fds = files.map((f) => f.source.fd);
      const thread = halves > 0 && fds.every((fd) => fd !== undefined) ? tierReadThread() : null;
      const plan = emptyPlan();
      files.forEach((file, f) => {
        const ranges = byFile.get(numbers[f]!)!;
        for (const r of ranges) this.checkRange(file, r.from, r.to - r.from);
        planRanges(plan, f, file, ranges, thread !== null ? 0 : file.source.readvInto !== undefined ? ASYNC_GAP_BLOCKS : null);
      });
      if (plan.readFile.length === 0) return;
      const outAt = bits.byteOffset; // a moved (detached) view reports offset 0
      let running: Promise<ThreadRead> | null = null;
      try {
        running = thread?.run(plan, fds as number[], new Uint8Array(bits.buffer, outAt, bits.byteLength)) ?? null;
      } catch {
        // The lent buffer cannot be posted (e.g. Node ≥ 21 refuses a Buffer pool's): read here.
      }
      if (running !== null) {
        const done = await running.catch((error: unknown) => {
          if (error instanceof ReaderThreadStopped) return null;
          throw error;
        });
        if (done === null) {
          // The thread stopped and took the lent buffer with it: read here into a new one.
          bits = new Uint16Array(new Float32Array(Math.ceil(halves / 2)).buffer, 0, halves);
        } else {
          bits = new Uint16Array(done.buffer, outAt, halves);
          if (done.failure === null) return;
          // Anything but a failed allocation there is the file's fault, and reading here would fail alike.
          if (done.failure.kind !== "internal") throw planError(done.failure, plan, files);
        }
      }
      const bytes = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
      // One pooled scratch for the blocks whose rows are copied out (a fresh buffer per file
      // cost page faults that doubled the read time).
      if (plan.scratchBytes === 0) return runPlanHere(plan, files, bytes, new Uint8Array(0));
      const scratch = takeScratch(Math.ceil(plan.scratchBytes / 4));
      try {
        await runPlanHere(plan, files, bytes, new Uint8Array(scratch.buffer, scratch.byteOffset, plan.scratchBytes));
      } finally {
        releaseScratch(scratch);
      }
    });
    return { offsets: at, dim, rows: (lo, hi) => bits.subarray(lo * dim, hi * dim), buffer: bits.buffer };
  }

  /** The float16 rows of `slots` decoded back to back, as the kernels take them. */
  async gather(slots: Int32Array, offsets: Int32Array): Promise<FlatTokens> {
    const flat = await this.gatherBits(slots, offsets);
    const total = flat.offsets[slots.length]!;
    return { data: fromFloat16(flat.rows(0, total, () => new Float32Array(0)) as Uint16Array), offsets: flat.offsets, dim: this.dim };
  }

  /** `IndexCorruptError` when a slot's recorded rows are not float16 rows of `file`. */
  private checkRange(file: DiskTierFile, start: number, n: number): void {
    if (start + n > file.rows || file.rowBytes !== 2 * this.dim) {
      throw new IndexCorruptError(
        file.file,
        `a segment points at rows ${start}–${start + n - 1} of ${2 * this.dim}-byte float16 rows; the file holds ${file.rows} rows of ${file.rowBytes} bytes`,
      );
    }
  }
}
