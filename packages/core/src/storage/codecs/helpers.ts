/** Shared argument checks of the built-in codecs (internal). */
import { MaxsimError } from "../../errors.js";

/** Number of vectors in `vectors`; throws `DIM_MISMATCH` unless it is a Float32Array of count × dim. */
export function checkVectors(vectors: Float32Array, dim: number, codec: string): number {
  if (!(vectors instanceof Float32Array) || vectors.length % dim !== 0) {
    throw new MaxsimError(
      "DIM_MISMATCH",
      `Codec ${codec} got ${vectors instanceof Float32Array ? vectors.length : typeof vectors} values, not a multiple of dim ${dim}. Pass a Float32Array of count × ${dim} values.`,
    );
  }
  return vectors.length / dim;
}

/** Element range of vectors `[start, start + count)`; throws `INVALID_OPTION` when out of bounds. */
export function decodeRange(total: number, dim: number, start = 0, count?: number): { from: number; to: number } {
  const n = count ?? total - start;
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > total) {
    throw new MaxsimError("INVALID_OPTION", `Vector range [${start}, ${start + n}) is outside [0, ${total}).`);
  }
  return { from: start * dim, to: (start + n) * dim };
}
