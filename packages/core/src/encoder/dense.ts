/**
 * The sentence-transformers Dense head and L2 normalisation, applied in JavaScript to the kept
 * rows only (padding and skiplist rows are never projected).
 *
 * Measured against the alternative of running the projection in onnxruntime (a MatMul session
 * over the same rows): see `bench/encode.ts` ("dense head"); the JS loop over kept rows was kept
 * because it was not slower on this machine and avoids a second session and a copy.
 */
import type { DenseProjection } from "../model/types.js";

/**
 * Projects `rows` rows of `input` (row stride `inFeatures`) through `dense`:
 * `out[r] = W · in[r] + b`, with `W` row-major `[out, in]`.
 */
export function applyDense(input: Float32Array, rows: number, dense: DenseProjection): Float32Array {
  const { weight, bias, inFeatures: n, outFeatures: m } = dense;
  const out = new Float32Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const xo = r * n;
    const oo = r * m;
    for (let j = 0; j < m; j++) {
      const wo = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < n; k += 4) {
        s0 += weight[wo + k]! * input[xo + k]!;
        s1 += weight[wo + k + 1]! * input[xo + k + 1]!;
        s2 += weight[wo + k + 2]! * input[xo + k + 2]!;
        s3 += weight[wo + k + 3]! * input[xo + k + 3]!;
      }
      for (; k < n; k++) s0 += weight[wo + k]! * input[xo + k]!;
      out[oo + j] = s0 + s1 + s2 + s3 + (bias === null ? 0 : bias[j]!);
    }
  }
  return out;
}

/** L2-normalises each `dim`-wide row of `data` in place (zero rows stay zero, as torch's normalize with eps). */
export function l2NormalizeRows(data: Float32Array, dim: number): void {
  const rows = data.length / dim;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += data[o + k]! * data[o + k]!;
    // torch.nn.functional.normalize divides by max(norm, 1e-12).
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < dim; k++) data[o + k]! *= inv;
  }
}
