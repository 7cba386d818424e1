/**
 * Each stored token's coefficient along its centroid, `α = x·ĉ`, for ranking candidates by an
 * α-weighted centroid interaction (`centroidInteraction` in `plaid.ts`).
 *
 * Why: PLAID's interaction stands every token in for its centroid, `q·x ≈ q·ĉ`. Writing
 * `x = α·ĉ + r` with `r ⟂ ĉ` gives `q·x = α·(q·ĉ) + q·r`, and `q·r` has mean zero for a query
 * token whose own offset from the centroid is unrelated to `r`: so `α·(q·ĉ)` is the better
 * estimate, and it costs one multiply. A token far from its centroid (a word used in an unusual
 * context) no longer counts as if it sat on it. Measured on the zipfian bench corpus at 20k
 * documents (nprobe 8, the lists' best 4,096 candidates): the true top 10 fell within the 256
 * best by the α-weighted interaction 0.995 of the time, against 0.845 by the plain one, which
 * needed 2,048 for 0.99 (`bench/ann.ts` measures every family).
 *
 * Residual rows already store α (the anisotropic scheme's first code), so their view reads it from
 * the packed bytes and costs no memory; float rows keep one byte per token, computed when first
 * needed and recomputed from the first row that compaction moved. That computation is one dot
 * product per token on the calling thread (about a second at 5 M tokens), paid by the first search
 * that runs the interaction after an open, a retraining or a compaction.
 */
import type { CentroidIds } from "./plaid.js";

/** Per-token α: `table[bytes[t · stride]]` for token row `t`. */
export interface AlphaView {
  bytes: Uint8Array;
  stride: number;
  /** 256 entries: the α of each byte value. */
  table: Float32Array;
}

/** Every token at α = 1: the plain centroid interaction (states whose codes hold no α). */
export const UNIT_ALPHA: AlphaView = { bytes: new Uint8Array(1), stride: 0, table: new Float32Array(256).fill(1) };

/** Byte → α for float rows: 256 levels over [−1, 1] (unit vectors; larger |α| is clamped). */
const FLOAT_TABLE = Float32Array.from({ length: 256 }, (_, b) => b / 127.5 - 1);

const DECODE_ROWS = 4096;

/** α bytes of rows `[0, rows)` under one set of centroids. */
interface AlphaEntry {
  centroids: Float32Array;
  bytes: Uint8Array;
  rows: number;
}

/**
 * α bytes of float rows, kept for rows `[0, rows)` and extended on demand. `decode` fills a
 * scratch with float32 rows. Two sets of centroids are kept apart: while a retraining calibrates
 * its new centroids on the same rows, searches still run on the old ones, and one entry would be
 * recomputed whole at every switch.
 */
export class FloatAlphaCache {
  private entries: AlphaEntry[] = [];

  /** Forgets α from row `row` on (rows there were moved, rewritten or truncated). */
  dropFrom(row: number): void {
    for (const e of this.entries) e.rows = Math.min(e.rows, row);
  }

  /** The view for `total` rows, computing α for the rows not cached yet. */
  view(total: number, dim: number, codes: CentroidIds, centroids: Float32Array, decode: (from: number, to: number, out: Float32Array) => void): AlphaView {
    let e = this.entries.find((x) => x.centroids === centroids);
    if (e === undefined) {
      e = { centroids, bytes: new Uint8Array(0), rows: 0 };
      this.entries = [e, ...this.entries.slice(0, 1)];
    } else if (this.entries[0] !== e) this.entries = [e, ...this.entries.filter((x) => x !== e)];
    if (e.bytes.length < total) {
      const next = new Uint8Array(Math.max(total, 2 * e.bytes.length));
      next.set(e.bytes.subarray(0, e.rows));
      e.bytes = next;
    }
    // Searches after the first find every row cached: no scratch then.
    const scratch = e.rows < total ? new Float32Array(Math.min(DECODE_ROWS, total - e.rows) * dim) : null;
    for (let from = e.rows; scratch !== null && from < total; from += DECODE_ROWS) {
      const to = Math.min(total, from + DECODE_ROWS);
      decode(from, to, scratch);
      for (let t = from; t < to; t++) {
        const x = (t - from) * dim;
        const c = codes[t]! * dim;
        let a = 0;
        for (let d = 0; d < dim; d++) a += scratch[x + d]! * centroids[c + d]!;
        e.bytes[t] = Math.round((Math.min(1, Math.max(-1, a)) + 1) * 127.5);
      }
    }
    e.rows = Math.max(e.rows, total);
    return { bytes: e.bytes, stride: 1, table: FLOAT_TABLE };
  }
}

/** The view of anisotropic residual rows: α is the first `alphaBits` bits of each row, coded by `weights`. */
export function packedAlphaView(packed: Uint8Array, rowBytes: number, alphaBits: number, weights: Float32Array): AlphaView {
  const mask = (1 << alphaBits) - 1;
  return { bytes: packed, stride: rowBytes, table: Float32Array.from({ length: 256 }, (_, b) => weights[b & mask]!) };
}
