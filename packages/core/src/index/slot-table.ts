/**
 * The index's in-memory state: one slot per stored document version (live or dead until
 * compaction), its token rows in the codec's arena, their centroid ids, ids, payloads, and the
 * centroids + quantiser once trained. Everything a search reads lives here, so a reader's refresh
 * swaps one table for another (see `read-write-gate.ts`).
 */
import type { FlatTokens, TokenBlocks } from "../scoring/flat-tokens.js";
import type { TokenVectors } from "../types.js";
import type { TierRows } from "./disk-tier-rows.js";
import { CentroidIndex, centroidIdArray, type CentroidIds } from "./plaid.js";
import type { ResidualQuantizer } from "./residual-codec.js";
import { residualBits } from "./index-state.js";
import type { AlphaView } from "./token-alpha.js";
import { Float16Arena, Float32Arena, ResidualArena, type TokenArena } from "./token-arena.js";
import type { IdFilter, IndexCodec } from "./types.js";

const DECODE_BLOCK = 1 << 16; // rows decoded at a time when retraining (32 MB of float32 at dim 128)

/** Slots, rows and centroids of an index in memory; see the module comment. */
export class SlotTable {
  // All token vectors of all slots (live or dead), back to back, in the codec's form.
  arena: TokenArena;
  tokens = 0;
  offsets = new Int32Array(1024);
  slots = 0;
  codes: CentroidIds = new Uint16Array(0);
  slotIds: string[] = [];
  alive = new Uint8Array(0);
  payloads: unknown[] = [];
  idToSlot = new Map<string, number>();
  liveTokens = 0;
  liveCount = 0;
  centroidIndex: CentroidIndex | null = null;
  quantizer: ResidualQuantizer | null = null;
  /** Two-tier indexes: where each slot's float16 rows are on disk (exact scoring reads them). */
  tier: TierRows | null = null;
  private flatCache: TokenBlocks | null = null;

  constructor(
    readonly dim: number,
    readonly codec: IndexCodec,
  ) {
    this.arena = this.newArena(null, null);
  }

  /** An empty arena for this codec: residual rows once a quantiser exists, else float rows. */
  newArena(centroidIndex: CentroidIndex | null, quantizer: ResidualQuantizer | null): TokenArena {
    if (residualBits(this.codec) !== null && centroidIndex !== null && quantizer !== null) {
      return new ResidualArena(this.dim, quantizer, centroidIndex.centroids, () => this.codes);
    }
    // Residual codecs hold float16 until training: the token is quantised once, from float16.
    return this.codec === "float32" ? new Float32Arena(this.dim) : new Float16Arena(this.dim);
  }

  /**
   * Makes room for `tokens` tokens and `slots` slots in all (loading a snapshot whose size the
   * manifest gives: one exact allocation each instead of doubling, which can leave up to half of
   * each array unused but resident).
   */
  reserve(tokens: number, slots: number): void {
    this.arena.reserve(tokens);
    if (this.centroidIndex !== null && tokens > this.codes.length) {
      const next = centroidIdArray(this.centroidIndex.k, tokens);
      next.set(this.codes.subarray(0, this.tokens));
      this.codes = next;
    }
    if (slots + 2 > this.offsets.length) {
      const next = new Int32Array(slots + 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    if (slots + 1 > this.alive.length) {
      const next = new Uint8Array(slots + 1);
      next.set(this.alive);
      this.alive = next;
    }
    this.tier?.reserve(slots);
  }

  /** A copy of a live document's token vectors (decoded by the codec), or `undefined`. */
  get(id: string): TokenVectors | undefined {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return undefined;
    const lo = this.offsets[slot]!;
    const hi = this.offsets[slot + 1]!;
    return { data: this.arena.decode(lo, hi, new Float32Array((hi - lo) * this.dim)), length: hi - lo, dim: this.dim };
  }

  /**
   * Registers a document whose `n` rows were just appended to the arena. Dead slots (rows of ids
   * deleted in a later commit, met while loading) keep their rows until compaction. `listed:
   * false` leaves the inverted lists alone (a load registers every slot, then builds them once
   * with {@link rebuildLists}).
   */
  register(id: string, n: number, codes: CentroidIds | null, payload: unknown, alive: boolean, listed = true): void {
    if (this.slots + 2 > this.offsets.length) {
      const next = new Int32Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    if (this.slots + 1 > this.alive.length) {
      const next = new Uint8Array(Math.max(1024, this.alive.length * 2));
      next.set(this.alive);
      this.alive = next;
    }
    if (codes !== null && this.tokens + n > this.codes.length) {
      const next = centroidIdArray(this.centroidIndex!.k, Math.max(this.codes.length * 2, this.tokens + n, 1024));
      next.set(this.codes.subarray(0, this.tokens));
      this.codes = next;
    }
    if (codes !== null) this.codes.set(codes, this.tokens);
    const slot = this.slots;
    this.offsets[slot] = this.tokens;
    this.tokens += n;
    this.offsets[slot + 1] = this.tokens;
    this.slots++;
    this.slotIds[slot] = id;
    this.flatCache = null;
    if (codes !== null && listed) this.centroidIndex?.addDocument(slot, codes);
    if (!alive) return;
    this.alive[slot] = 1;
    this.payloads[slot] = payload;
    this.idToSlot.set(id, slot);
    this.liveCount++;
    this.liveTokens += n;
  }

  /** Marks the live document `id` dead (its rows stay until compaction). */
  kill(id: string): void {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return;
    this.idToSlot.delete(id);
    this.alive[slot] = 0;
    this.payloads[slot] = undefined;
    this.liveCount--;
    this.liveTokens -= this.offsets[slot + 1]! - this.offsets[slot]!;
  }

  /** Drops dead slots from memory (keeps order). */
  compactMemory(): void {
    let t = 0;
    let n = 0;
    const hasCodes = this.centroidIndex !== null;
    for (let s = 0; s < this.slots; s++) {
      if (this.alive[s] !== 1) continue;
      const lo = this.offsets[s]!;
      const hi = this.offsets[s + 1]!;
      this.arena.copyWithin(t, lo, hi);
      if (hasCodes) this.codes.copyWithin(t, lo, hi);
      this.tier?.move(s, n);
      this.offsets[n] = t;
      this.slotIds[n] = this.slotIds[s]!;
      this.payloads[n] = this.payloads[s];
      this.alive[n] = 1;
      this.idToSlot.set(this.slotIds[n]!, n);
      t += hi - lo;
      n++;
    }
    this.offsets[n] = t;
    this.alive.fill(0, n);
    this.slotIds.length = n;
    this.payloads.length = n;
    this.slots = n;
    this.tokens = t;
    this.arena.truncate(t);
    this.flatCache = null;
  }

  /** Rebuilds the centroid inverted lists from the slots (after a load, or slots were renumbered), at exact size. */
  rebuildLists(): void {
    this.centroidIndex?.buildLists(this.codes, this.offsets, this.slots);
  }

  /** Adopts new centroids, quantiser, ids and rows together (retraining; run it in `quiesce`). */
  adoptTraining(centroidIndex: CentroidIndex, quantizer: ResidualQuantizer | null, codes: CentroidIds, arena: TokenArena): void {
    if (arena instanceof ResidualArena) arena.codesOf = () => this.codes;
    this.codes = codes;
    this.arena = arena;
    this.centroidIndex = centroidIndex;
    this.quantizer = quantizer;
    this.rebuildLists();
    this.flatCache = null;
  }

  /**
   * A table over the same slots with new training (centroids, quantiser, ids, rows), for
   * measuring it before it is adopted (calibration); this table is left as it is.
   */
  trainedView(centroidIndex: CentroidIndex, quantizer: ResidualQuantizer | null, codes: CentroidIds, arena: TokenArena): SlotTable {
    const view = new SlotTable(this.dim, this.codec);
    view.tokens = this.tokens;
    view.offsets = this.offsets;
    view.slots = this.slots;
    view.slotIds = this.slotIds;
    view.alive = this.alive;
    view.payloads = this.payloads;
    view.idToSlot = this.idToSlot;
    view.liveTokens = this.liveTokens;
    view.liveCount = this.liveCount;
    view.tier = this.tier;
    view.adoptTraining(centroidIndex, quantizer, codes, arena);
    return view;
  }

  /** Each token's α along its centroid (trained tables), for the α-weighted centroid interaction. */
  alphas(): AlphaView {
    return this.arena.alphas(this.codes, this.centroidIndex!.centroids, this.tokens);
  }

  /** Forgets the cached kernel view (after the arena or offsets changed). */
  invalidate(): void {
    this.flatCache = null;
  }

  /** Calls `fn` on consecutive blocks of `arena`'s rows `[0, tokens)`, decoded to float32. */
  async eachDecodedBlock(arena: TokenArena, fn: (rows: Float32Array, lo: number, hi: number) => Promise<void> | void): Promise<void> {
    const block = Math.min(this.tokens, DECODE_BLOCK);
    const scratch = new Float32Array(block * this.dim);
    for (let lo = 0; lo < this.tokens; lo += block) {
      const hi = Math.min(this.tokens, lo + block);
      await fn(arena.decode(lo, hi, scratch.subarray(0, (hi - lo) * this.dim)), lo, hi);
    }
  }

  /** A predicate over slots: live, and passing `filter` when given. */
  acceptor(filter: IdFilter | undefined): (slot: number) => boolean {
    const alive = this.alive;
    const ids = this.slotIds;
    if (filter === undefined) return (s) => alive[s] === 1;
    if (typeof filter === "function") return (s) => alive[s] === 1 && filter(ids[s]!);
    return (s) => alive[s] === 1 && filter.has(ids[s]!);
  }

  /** The slots that `accept`, in slot order. */
  matchingSlots(accept: (slot: number) => boolean): Int32Array {
    const out: number[] = [];
    for (let s = 0; s < this.slots; s++) if (accept(s)) out.push(s);
    return Int32Array.from(out);
  }

  /** Every slot's rows as the exact kernel reads them (cached until the slots change). */
  flat(): TokenBlocks {
    const arena = this.arena;
    this.flatCache ??= {
      offsets: this.offsets.subarray(0, this.slots + 1),
      dim: this.dim,
      rows: (lo, hi, scratch) => arena.block(lo, hi, scratch),
    };
    return this.flatCache;
  }

  /**
   * Rows of `slots` back to back as the exact kernel takes them: a float16 arena's bits as they
   * are (cast inside ONNX Runtime; decoding them here cost more than the product), else decoded
   * float32 ({@link gather}). `into` supplies the buffer (as floats; float16 rows use half of it).
   */
  gatherForKernel(slots: Int32Array, into: (floats: number) => Float32Array): FlatTokens | TokenBlocks {
    const arena = this.arena;
    if (!(arena instanceof Float16Arena)) return this.gather(slots, into);
    const dim = this.dim;
    const offsets = new Int32Array(slots.length + 1);
    slots.forEach((s, i) => (offsets[i + 1] = offsets[i]! + this.offsets[s + 1]! - this.offsets[s]!));
    const halves = offsets[slots.length]! * dim;
    const buffer = into(Math.ceil(halves / 2));
    const bits = new Uint16Array(buffer.buffer, buffer.byteOffset, halves);
    slots.forEach((s, i) => arena.copyBits(this.offsets[s]!, this.offsets[s + 1]!, bits, offsets[i]!));
    return { offsets, dim, rows: (lo, hi) => bits.subarray(lo * dim, hi * dim) };
  }

  /** Rows of `slots` decoded back to back into one float32 buffer, with their offsets. */
  gather(slots: Int32Array, into?: (floats: number) => Float32Array): { data: Float32Array; offsets: Int32Array; dim: number } {
    const dim = this.dim;
    let total = 0;
    for (const s of slots) total += this.offsets[s + 1]! - this.offsets[s]!;
    const data = into !== undefined ? into(total * dim).subarray(0, total * dim) : new Float32Array(total * dim);
    const offsets = new Int32Array(slots.length + 1);
    let at = 0;
    slots.forEach((s, i) => {
      const lo = this.offsets[s]!;
      const hi = this.offsets[s + 1]!;
      this.arena.decode(lo, hi, data, at);
      at += hi - lo;
      offsets[i + 1] = at;
    });
    return { data, offsets, dim };
  }
}
