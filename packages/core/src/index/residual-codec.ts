/**
 * PLAID / ColBERTv2 residual compression (Santhanam et al., "ColBERTv2", 2022, §3): a token is
 * stored as its nearest centroid id plus its residual `x − c`, each residual value quantised to
 * `nbits` bits by bucket cutoffs taken from the quantiles of sample residuals (all dimensions
 * pooled), decoded to the mean of the bucket's sample values. Decoded vectors are not re-normalised: then
 * decode → encode is the identity (every weight lies inside its own bucket), so compaction can
 * re-encode decoded vectors without drifting. Bytes per token: `dim · nbits / 8` + the centroid id (2 bytes
 * up to 65,536 centroids, else 4), so dim 128 at 2 bits = 34 bytes.
 *
 * Measured (`bench/ann.ts`, 20k synthetic docs, recall@10 against float32 exact): 2 bits 0.81,
 * 4 bits 0.91, float16 0.998. The synthetic tokens are concept + isotropic noise, so residuals are
 * pure noise and the top-10 margins are thin; PLAID reports a much smaller loss on real ColBERT
 * vectors. Per-token residual scaling was tried and lost at 2 bits (0.76 vs 0.85).
 *
 * It lives in `index/` rather than the storage codec registry because encoding needs the
 * asynchronous ONNX Runtime nearest-centroid search, while registry codecs encode synchronously.
 */
import { MaxsimError } from "../errors.js";

/** Trained quantiser state, serialisable with {@link encodeResidualState}. */
export interface ResidualQuantizer {
  nbits: 2 | 4 | 8;
  dim: number;
  /** `2^nbits − 1` ascending cutoffs: value v goes to bucket = number of cutoffs ≤ v. */
  cutoffs: Float32Array;
  /** `2^nbits` decoded values, one per bucket. */
  weights: Float32Array;
}

/** Bytes of packed residual per token. */
export function residualBytes(q: Pick<ResidualQuantizer, "nbits" | "dim">): number {
  return Math.ceil((q.dim * q.nbits) / 8);
}

/**
 * Fits the quantiser on sample tokens: `vectors` (rows of `dim`) and `codes`, their nearest
 * centroid ids into `centroids`. A strided sample of a few thousand tokens is plenty.
 *
 * @throws MaxsimError `INVALID_OPTION` for an unsupported `nbits`
 */
export function fitResidualQuantizer(vectors: Float32Array, codes: Int32Array, centroids: Float32Array, dim: number, nbits: number): ResidualQuantizer {
  const values = new Float32Array(codes.length * dim);
  for (let t = 0; t < codes.length; t++) {
    const co = codes[t]! * dim;
    for (let d = 0; d < dim; d++) values[t * dim + d] = vectors[t * dim + d]! - centroids[co + d]!;
  }
  if (nbits !== 2 && nbits !== 4 && nbits !== 8) {
    throw new MaxsimError("INVALID_OPTION", `Residual codec nbits must be 2, 4 or 8 (got ${nbits}). Use nbits: 2 for the smallest index, 4 for higher recall.`);
  }
  const sorted = Float32Array.from(values).sort();
  const buckets = 1 << nbits;
  const at = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  const cutoffs = new Float32Array(buckets - 1);
  for (let b = 1; b < buckets; b++) cutoffs[b - 1] = at(b / buckets);
  // Each bucket decodes to the mean of its sample values (one Lloyd-Max step): lower error than
  // ColBERTv2's mid-quantile weights, notably for the outer buckets of 2-bit codes.
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

function bucketOf(v: number, cutoffs: Float32Array): number {
  let lo = 0;
  let hi = cutoffs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cutoffs[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Packs the residuals of `rows` tokens (`data` rows minus their centroid rows) into
 * `out` (`rows · residualBytes` bytes, allocated when absent).
 */
export function encodeResiduals(
  q: ResidualQuantizer,
  data: Float32Array,
  codes: Int32Array,
  centroids: Float32Array,
  out?: Uint8Array,
): Uint8Array {
  const dim = q.dim;
  const rows = codes.length;
  const rb = residualBytes(q);
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

/** Decodes tokens `[from, to)` of packed residuals (centroid + bucket weights) into rows `outRow`.. of `out`. */
export function decodeResiduals(
  q: ResidualQuantizer,
  packed: Uint8Array,
  codes: Int32Array,
  centroids: Float32Array,
  from: number,
  to: number,
  out: Float32Array,
  outRow = 0,
): Float32Array {
  const dim = q.dim;
  const rb = residualBytes(q);
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
}

/** Serialises a quantiser (JSON: small). */
export function encodeResidualState(q: ResidualQuantizer): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ nbits: q.nbits, dim: q.dim, cutoffs: [...q.cutoffs], weights: [...q.weights] }));
}

/** Parses {@link encodeResidualState} output. */
export function decodeResidualState(bytes: Uint8Array): ResidualQuantizer {
  const o = JSON.parse(new TextDecoder().decode(bytes)) as { nbits: 2 | 4 | 8; dim: number; cutoffs: number[]; weights: number[] };
  return { nbits: o.nbits, dim: o.dim, cutoffs: Float32Array.from(o.cutoffs), weights: Float32Array.from(o.weights) };
}
