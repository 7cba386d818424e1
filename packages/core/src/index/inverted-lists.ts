/**
 * PLAID's inverted lists: for each centroid, the document slots holding at least one token
 * assigned to it, in the order the documents were added. Stored as one exact-size CSR pair
 * (`start`: k + 1 offsets, `slots`: every entry back to back), built by counting then filling,
 * so an opened index holds 4 bytes per (document, distinct centroid) and nothing more — growable
 * per-centroid arrays that double would keep up to as much again unused but resident.
 *
 * Documents added after a build go to per-centroid tail arrays, folded into the CSR pair once
 * they hold a quarter of its entries: appends stay amortised O(1) and the slack is bounded by the
 * tail, not by the whole index.
 */
import type { CentroidIds } from "./plaid.js";

/** Tail entries below which folding is not worth a copy of the CSR pair. */
const MIN_FOLD = 1 << 16;

/** See the module comment. */
export class InvertedLists {
  /** Entries of centroid `c` in {@link InvertedLists.slots}: `[start[c], start[c + 1])`. */
  start: Int32Array;
  slots = new Int32Array(0);
  /** Per centroid, documents added since the last build or fold (`tailLength[c]` used), or undefined. */
  tail: (Int32Array | undefined)[];
  readonly tailLength: Int32Array;
  private tailEntries = 0;
  /** Per centroid, the last {@link epoch} that listed it: deduplicates a document's centroids without a Set. */
  private readonly mark: Int32Array;
  private epoch = 0;

  /** @param minFold - tail entries below which no fold happens (tests lower it to exercise folding) */
  constructor(
    readonly k: number,
    private readonly minFold = MIN_FOLD,
  ) {
    this.start = new Int32Array(k + 1);
    this.tail = new Array<Int32Array | undefined>(k);
    this.tailLength = new Int32Array(k);
    this.mark = new Int32Array(k);
  }

  /** Entries in all lists (what a probe of every centroid would scan). */
  get entries(): number {
    return this.slots.length + this.tailEntries;
  }

  /** Replaces every list with those of slots `[0, count)`, whose tokens' ids are `codes[offsets[s]..offsets[s+1])`. */
  build(codes: CentroidIds, offsets: Int32Array, count: number): void {
    const k = this.k;
    const start = new Int32Array(k + 1);
    this.eachDistinct(codes, offsets, count, (c) => start[c + 1]!++);
    for (let c = 0; c < k; c++) start[c + 1]! += start[c]!;
    const slots = new Int32Array(start[k]!);
    const at = start.slice(0, k);
    this.eachDistinct(codes, offsets, count, (c, slot) => (slots[at[c]!++] = slot));
    this.start = start;
    this.slots = slots;
    this.dropTail();
  }

  /** Appends document `slot` (its tokens' centroid ids `codes`) to the lists of its distinct centroids. */
  add(slot: number, codes: CentroidIds): void {
    const epoch = this.nextEpoch();
    for (let t = 0; t < codes.length; t++) {
      const c = codes[t]!;
      if (this.mark[c] === epoch) continue;
      this.mark[c] = epoch;
      const n = this.tailLength[c]!;
      let list = this.tail[c];
      if (list === undefined || n === list.length) {
        const next = new Int32Array(Math.max(4, 2 * n));
        if (list !== undefined) next.set(list);
        this.tail[c] = list = next;
      }
      list[n] = slot;
      this.tailLength[c] = n + 1;
      this.tailEntries++;
    }
    if (this.tailEntries >= Math.max(this.minFold, this.slots.length >> 2)) this.fold();
  }

  /** Whether documents added since the last build or fold are still in tail arrays. */
  get hasTail(): boolean {
    return this.tailEntries > 0;
  }

  /** A copy of centroid `c`'s list, in order. */
  list(c: number): Int32Array {
    const built = this.slots.subarray(this.start[c]!, this.start[c + 1]!);
    const out = new Int32Array(built.length + this.tailLength[c]!);
    out.set(built);
    const tail = this.tail[c];
    if (tail !== undefined) out.set(tail.subarray(0, this.tailLength[c]!), built.length);
    return out;
  }

  /** Empties every list. */
  clear(): void {
    this.start = new Int32Array(this.k + 1);
    this.slots = new Int32Array(0);
    this.dropTail();
  }

  /** Moves the tail arrays into a new exact-size CSR pair (each list keeps its order: built entries, then added ones). */
  private fold(): void {
    const k = this.k;
    const start = new Int32Array(k + 1);
    for (let c = 0; c < k; c++) start[c + 1] = start[c]! + this.start[c + 1]! - this.start[c]! + this.tailLength[c]!;
    const slots = new Int32Array(start[k]!);
    for (let c = 0; c < k; c++) {
      const built = this.start[c + 1]! - this.start[c]!;
      slots.set(this.slots.subarray(this.start[c]!, this.start[c + 1]!), start[c]!);
      const list = this.tail[c];
      if (list !== undefined) slots.set(list.subarray(0, this.tailLength[c]!), start[c]! + built);
    }
    this.start = start;
    this.slots = slots;
    this.dropTail();
  }

  private dropTail(): void {
    this.tail = new Array<Int32Array | undefined>(this.k);
    this.tailLength.fill(0);
    this.tailEntries = 0;
  }

  private nextEpoch(): number {
    if (this.epoch === 0x7fffffff) {
      this.mark.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }

  /** Calls `fn(c, slot)` once per distinct centroid `c` of each slot `[0, count)`, slots in order. */
  private eachDistinct(codes: CentroidIds, offsets: Int32Array, count: number, fn: (c: number, slot: number) => void): void {
    const mark = this.mark;
    for (let slot = 0; slot < count; slot++) {
      const epoch = this.nextEpoch();
      const end = offsets[slot + 1]!;
      for (let t = offsets[slot]!; t < end; t++) {
        const c = codes[t]!;
        if (mark[c] === epoch) continue;
        mark[c] = epoch;
        fn(c, slot);
      }
    }
  }
}
