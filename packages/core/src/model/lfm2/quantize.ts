/**
 * 8-bit block quantisation of torch `Linear` weights into onnxruntime's `MatMulNBits` layout
 * (`com.microsoft`, bits = 8): for every output column, the K inputs are cut into blocks of
 * `blockSize`; each block stores uint8 codes and one float scale, and dequantises as
 * `(code − zero_point) · scale`. Symmetric (the default): scale = max|w| / 127 and the zero point
 * is MatMulNBits' implicit 128, so no zero-point tensor is stored; this ran fastest here (MLAS's
 * int8 kernels skip the zero-point correction). Asymmetric: min/max per block, explicit zero
 * points.
 */

/** MatMulNBits initializers for one weight. */
export interface NBitsWeight {
  /** `[N, K / blockSize, blockSize]` codes. */
  weight: Uint8Array;
  /** `[N · K / blockSize]` scales. */
  scales: Float32Array;
  /** `[N · K / blockSize]` zero points, or null for symmetric quantisation (implicit 128). */
  zeroPoints: Uint8Array | null;
}

/**
 * Quantises `[out, in]` weight blocks (concatenated along out) to 8 bits per `blockSize` inputs.
 *
 * @example
 * ```ts
 * import { quantizeMatMulNBits } from "./quantize.js";
 * const q = quantizeMatMulNBits([new Float32Array(64).fill(0.5)], [2], 32, 32);
 * console.log(q.scales.length, q.weight[0], q.zeroPoints); // 2 255 null
 * ```
 */
export function quantizeMatMulNBits(blocks: Float32Array[], outs: number[], inF: number, blockSize: number, symmetric = true): NBitsWeight {
  const N = outs.reduce((a, b) => a + b, 0);
  const nBlocks = inF / blockSize;
  const weight = new Uint8Array(N * inF);
  const scales = new Float32Array(N * nBlocks);
  const zeroPoints = symmetric ? null : new Uint8Array(N * nBlocks);
  let n = 0;
  blocks.forEach((w, bi) => {
    for (let o = 0; o < outs[bi]!; o++, n++) {
      for (let b = 0; b < nBlocks; b++) {
        const start = o * inF + b * blockSize;
        // Include 0 in the range so zero stays exactly representable.
        let min = 0;
        let max = 0;
        for (let i = 0; i < blockSize; i++) {
          const v = w[start + i]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const absMax = Math.max(-min, max);
        const scale = symmetric ? (absMax > 0 ? absMax / 127 : 1) : max > min ? (max - min) / 255 : 1;
        const zp = symmetric ? 128 : Math.min(255, Math.max(0, Math.round(-min / scale)));
        const s = Math.fround(scale);
        scales[n * nBlocks + b] = s;
        if (zeroPoints) zeroPoints[n * nBlocks + b] = zp;
        const dst = n * inF + b * blockSize;
        for (let i = 0; i < blockSize; i++) {
          weight[dst + i] = Math.min(255, Math.max(0, Math.round(w[start + i]! / s) + zp));
        }
      }
    }
  });
  return { weight, scales, zeroPoints };
}

/** Per-output-column symmetric int8 weights in `[in, out]` layout (DynamicQuantizeMatMul's B). */
export interface PerColumnWeight {
  /** `[in, out]` row-major codes in [-127, 127]. */
  weight: Int8Array;
  /** `[out]` scales: w ≈ code · scale. */
  scales: Float32Array;
}

/**
 * Quantises `[out, in]` weight blocks (concatenated along out) to int8 with one symmetric scale
 * per output column (max |w| / 127), transposed to `[in, out]`.
 *
 * @example
 * ```ts
 * import { quantizePerColumn } from "./quantize.js";
 * const q = quantizePerColumn([Float32Array.from([1, -0.5, 0.25, 0.5])], [2], 2);
 * console.log(Array.from(q.weight).join(" ")); // 127 64 -64 127
 * ```
 */
export function quantizePerColumn(blocks: Float32Array[], outs: number[], inF: number, maxCode = 127): PerColumnWeight {
  const N = outs.reduce((a, b) => a + b, 0);
  const weight = new Int8Array(inF * N);
  const scales = new Float32Array(N);
  let n = 0;
  blocks.forEach((w, bi) => {
    for (let o = 0; o < outs[bi]!; o++, n++) {
      let max = 0;
      for (let i = 0; i < inF; i++) max = Math.max(max, Math.abs(w[o * inF + i]!));
      const scale = Math.fround(max > 0 ? max / maxCode : 1);
      scales[n] = scale;
      for (let i = 0; i < inF; i++) weight[i * N + n] = Math.max(-maxCode, Math.min(maxCode, Math.round(w[o * inF + i]! / scale)));
    }
  });
  return { weight, scales };
}
