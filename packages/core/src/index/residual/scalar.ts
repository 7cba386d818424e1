/**
 * ColBERTv2's scalar residual scheme (states written before v2, JSON without `version`):
 * `2^nbits` buckets with quantile cutoffs pooled over all coordinates of `x − c`, decoded to the
 * bucket's sample mean. Kept so those indexes load and decode exactly as before.
 */
import type { CentroidIds } from "../plaid.js";
import { bucketOf } from "./lloyd-max.js";
import type { ResidualDecoder, ResidualQuantizer } from "./quantizer.js";

/** Packed bytes per token of the scalar scheme. */
export function scalarBytes(q: Pick<ResidualQuantizer, "nbits" | "dim">): number {
  return Math.ceil((q.dim * q.nbits) / 8);
}

export function fitScalar(vectors: Float32Array, codes: CentroidIds, centroids: Float32Array, dim: number, nbits: 2 | 4 | 8): ResidualQuantizer {
  const values = new Float32Array(codes.length * dim);
  for (let t = 0; t < codes.length; t++) {
    const co = codes[t]! * dim;
    for (let d = 0; d < dim; d++) values[t * dim + d] = vectors[t * dim + d]! - centroids[co + d]!;
  }
  const sorted = values.sort();
  const buckets = 1 << nbits;
  const at = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  const cutoffs = new Float32Array(buckets - 1);
  for (let b = 1; b < buckets; b++) cutoffs[b - 1] = at(b / buckets);
  const weights = new Float32Array(buckets);
  const sums = new Float64Array(buckets);
  const counts = new Float64Array(buckets);
  for (const v of sorted) {
    const b = bucketOf(v, cutoffs);
    sums[b]! += v;
    counts[b]!++;
  }
  for (let b = 0; b < buckets; b++) weights[b] = counts[b]! > 0 ? sums[b]! / counts[b]! : at((b + 0.5) / buckets);
  return { nbits, dim, cutoffs, weights };
}

export function encodeScalar(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array {
  const dim = q.dim;
  const rows = codes.length;
  const rb = scalarBytes(q);
  const packed = out ?? new Uint8Array(rows * rb);
  const perByte = 8 / q.nbits;
  for (let t = 0; t < rows; t++) {
    const xo = t * dim;
    const co = codes[t]! * dim;
    const po = t * rb;
    for (let d = 0; d < dim; d++) {
      const b = bucketOf(data[xo + d]! - centroids[co + d]!, q.cutoffs);
      packed[po + Math.floor(d / perByte)]! |= b << ((d % perByte) * q.nbits);
    }
  }
  return packed;
}

export const decodeScalar: ResidualDecoder = (q, packed, codes, centroids, from, to, out, outRow = 0) => {
  const dim = q.dim;
  const rb = scalarBytes(q);
  const perByte = 8 / q.nbits;
  const mask = (1 << q.nbits) - 1;
  const w = q.weights;
  for (let t = from; t < to; t++) {
    const co = codes[t]! * dim;
    const po = t * rb;
    const oo = (outRow + t - from) * dim;
    for (let d = 0; d < dim; d++) {
      const b = (packed[po + Math.floor(d / perByte)]! >> ((d % perByte) * q.nbits)) & mask;
      out[oo + d] = centroids[co + d]! + w[b]!;
    }
  }
  return out;
};

/** The scalar state's JSON, exactly as written before v2. */
export function scalarStateJson(q: ResidualQuantizer): Record<string, unknown> {
  return { nbits: q.nbits, dim: q.dim, cutoffs: [...q.cutoffs], weights: [...q.weights] };
}
