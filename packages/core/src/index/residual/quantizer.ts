/** The residual quantiser's state and fit options, shared by every scheme (see `../residual-codec.ts`). */

import type { CentroidIds } from "../plaid.js";

export type ResidualScheme = "scalar" | "anisotropic";

/**
 * Decodes tokens `[from, to)` of `packed` (each the residual from its centroid `codes[t]` of
 * `centroids`) into rows `outRow`.. of `out`, and returns `out`. Every scheme has this shape.
 */
export type ResidualDecoder = (
  q: ResidualQuantizer,
  packed: Uint8Array,
  codes: CentroidIds,
  centroids: Float32Array,
  from: number,
  to: number,
  out: Float32Array,
  outRow?: number,
) => Float32Array;

/**
 * Trained quantiser state, serialisable with {@link encodeResidualState}. Measured sizes and
 * recall: see the module header.
 */
export interface ResidualQuantizer {
  nbits: 2 | 4 | 8;
  dim: number;
  /** Absent in states written before v2: `"scalar"`. */
  scheme?: ResidualScheme;
  /**
   * Ascending cutoffs: value v goes to bucket = number of cutoffs ≤ v. Scalar: `2^nbits − 1`
   * cutoffs for every residual value; anisotropic: the orthogonal coordinates' codebook (empty
   * for the 3-D codebook, whose codes are nearest codewords).
   */
  cutoffs: Float32Array;
  /** Decoded value per bucket (one more than cutoffs); for `levels` 128 the 128 codewords, 3 floats each. */
  weights: Float32Array;
  /** Anisotropic: levels of the orthogonal codebook (5, 6: three coordinates per code; 128: 3-D codewords). */
  levels?: number;
  /** Anisotropic: bits of the coefficient along the centroid. */
  alphaBits?: number;
  /** Anisotropic: codebook of the coefficient along the centroid (`2^alphaBits` weights). */
  alphaCutoffs?: Float32Array;
  alphaWeights?: Float32Array;
  /** Anisotropic with three coordinates per code: 4-level codebook for the coordinates left over. */
  tailCutoffs?: Float32Array;
  tailWeights?: Float32Array;
}

/** Options of {@link fitResidualQuantizer} beyond `nbits` (for benches; the defaults are the measured best). */
export interface ResidualFitOptions {
  /** @defaultValue "anisotropic" */
  scheme?: ResidualScheme;
  /**
   * Orthogonal codebook levels: 4, 5, 6, 8, 16 or 256 (6 and 8 only measure other rates), or 128
   * for a trained 3-D vector codebook of 128 codewords (7 bits per three coordinates, like 5).
   * @defaultValue 128 for nbits 2, 16 for 4, 256 for 8
   */
  levels?: 4 | 5 | 6 | 8 | 16 | 128 | 256;
  /** Bits of the coefficient along the centroid, 1–8. @defaultValue 8 (4 for nbits 4) */
  alphaBits?: number;
  /** Lloyd-Max iterations. @defaultValue 25 */
  iterations?: number;
}
