/** The flat token layout every batch scorer works on. */
import { MaxsimError } from "../errors.js";
import type { TokenVectors } from "../types.js";

/**
 * All document token vectors back to back: document `i` owns rows `offsets[i]` up to (not
 * including) `offsets[i + 1]` of `data`, each `dim` floats. The same layout as the numpy baseline's
 * `docs.f32` / `offsets.i32`, so both score identical bytes.
 */
export interface FlatTokens {
  data: Float32Array;
  offsets: Int32Array;
  dim: number;
}

/**
 * Document token rows kept in an encoded form (float16 bits, centroid ids + residuals), read block
 * by block so a scorer never needs a float32 copy of the whole corpus. Same `offsets` contract as
 * {@link FlatTokens}.
 */
export interface TokenBlocks {
  offsets: Int32Array;
  dim: number;
  /**
   * Rows `[lo, hi)`: float32 values (a view, or decoded into `scratch()`, a buffer of exactly
   * `(hi − lo) · dim` floats that the caller owns and reuses for the next block), or float16 bits.
   */
  rows(lo: number, hi: number, scratch: () => Float32Array): Float32Array | Uint16Array;
}

/** Number of documents in a {@link FlatTokens}. */
export function flatCount(flat: FlatTokens): number {
  return flat.offsets.length - 1;
}

/**
 * Throws `INVALID_VECTOR` when `v` is malformed or holds NaN/Infinity, and `DIM_MISMATCH` when
 * `dim` is given and differs. `what` names the input in the message.
 *
 * @throws MaxsimError `INVALID_VECTOR`, `DIM_MISMATCH`
 * @example
 * ```ts
 * import { checkVectors, MaxsimError } from "@maxsim/core";
 * try {
 *   checkVectors({ data: new Float32Array([1, NaN]), length: 1, dim: 2 }, "The query");
 * } catch (e) {
 *   console.log(MaxsimError.isInstance(e) && e.code); // INVALID_VECTOR
 * }
 * ```
 */
export function checkVectors(v: TokenVectors, what: string, dim?: number): void {
  if (typeof v !== "object" || v === null || !(v.data instanceof Float32Array)) {
    throw new MaxsimError(
      "INVALID_VECTOR",
      `${what} must be token vectors { data: Float32Array, length, dim } (got ${v === null ? "null" : typeof v}). Pass what the encoder returned.`,
    );
  }
  if (dim !== undefined && v.dim !== dim) {
    throw new MaxsimError(
      "DIM_MISMATCH",
      `${what} has dimension ${v.dim} but the index holds ${dim}-dimensional vectors. Encode it with the same model as the index.`,
    );
  }
  if (!Number.isInteger(v.length) || v.length < 1 || !Number.isInteger(v.dim) || v.dim < 1 || v.data.length < v.length * v.dim) {
    throw new MaxsimError(
      "INVALID_VECTOR",
      `${what} must hold at least one token of dim ≥ 1 with data.length ≥ length × dim (got length ${v.length}, dim ${v.dim}, ${v.data.length} floats).`,
    );
  }
  const n = v.length * v.dim;
  const d = v.data;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new MaxsimError(
        "INVALID_VECTOR",
        `${what} holds a non-finite value (${d[i]}) at token ${Math.floor(i / v.dim)}. Check the encoder output; vectors must be finite.`,
      );
    }
  }
}
