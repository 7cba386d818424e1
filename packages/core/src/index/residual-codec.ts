/**
 * PLAID / ColBERTv2 residual compression (Santhanam et al., "ColBERTv2", 2022, §3), made
 * anisotropic in the spirit of ScaNN (Guo et al., "Accelerating Large-Scale Inference with
 * Anisotropic Vector Quantization", 2020): a token is stored as its nearest centroid id plus a
 * few bytes that say where it lies relative to that centroid.
 *
 * Why anisotropic: a query token that matches a document token points along the document token's
 * centroid, so the quantisation error along the centroid direction reaches MaxSim scores almost
 * undamped (weight ≈ cos² ≈ 0.7 on ColBERT-like data) while the error in the 127 orthogonal
 * directions only meets the query's own noise (weight ≈ 0.3, spread over all of them). ColBERTv2
 * quantises `x − c` per coordinate and so spends 1/128 of its bits, and takes 1/128 of its
 * error, along that most important direction. Here each token `x` is written in a frame where
 * its centroid `c` is the first axis — the Householder reflection `H` with `H·ĉ = ±e₁`, applied in
 * O(dim) per token — and:
 * - the coefficient along the centroid, `α = x·ĉ`, gets its own Lloyd-Max codebook (8 bits; 4 for
 *   `nbits` 4);
 * - the `dim − 1` orthogonal coordinates: for `nbits` 2 in triples, each the nearest of 128
 *   trained 3-D codewords (7 bits, 2.33 bits per coordinate; k-means started from the 5 × 5 × 5
 *   Lloyd-Max grid, which it beats by ≈ 16% in MSE — vector quantisation's space-filling and shape
 *   gain), a spare coordinate taking a 4-level code; one shared Lloyd-Max codebook of 16 levels
 *   (4 bits) for `nbits` 4, 256 levels for `nbits` 8.
 * Decoding is a per-group lookup table, one dot product and one axpy per token (no square roots).
 * Bytes per token (dim 128, plus the 2-byte centroid id): residual-2 38 + 2 = 40, residual-4
 * 64 + 2 = 66 (α then gets 4 bits: measured as good as 8 there), residual-8 128 + 2 = 130.
 *
 * Decode → encode is the identity (every decoded coordinate is a codebook value inside its own
 * bucket, every decoded triple a codeword nearest to itself, and `H` is its own inverse), up to
 * float rounding at bucket edges, so compaction can re-encode decoded vectors without drifting
 * (the bench checks it on 0.96 M tokens). Decoded vectors are not re-normalised.
 *
 * Measured (`bench/codec.ts`, 20k synthetic docs = 0.96 M tokens, noise 0.6, 4096 centroids,
 * exact MaxSim of 200 queries over decoded vectors, recall@10 against float32 (±0.005 from
 * sampling); bytes include the 2-byte centroid id; decode in M values/s; one run on a 2-core box
 * shared with other jobs, so speeds are ±15%):
 *
 * | scheme                                    | B/token | MSE/coord |   recall@10 |    decode |
 * |-------------------------------------------|--------:|----------:|------------:|----------:|
 * | ColBERTv2 scalar 2-bit (before v2)        |      34 |   3.40e-4 |       0.886 |   174 M/s |
 * | PQ on x − c, 32 × 256 codewords           |      34 |   2.49e-4 |       0.910 |           |
 * | anisotropic, 4-level orthogonal           |      35 |   2.59e-4 |       0.917 |   161 M/s |
 * | anisotropic, 5 × 5 × 5 grid               |      40 |   1.78e-4 |       0.924 |   180 M/s |
 * | **residual-2**: anisotropic, 3-D codebook |      40 |   1.49e-4 |       0.929 |   176 M/s |
 * | ideal Gaussian test channel at 40 B       |      40 |    8.5e-5 | 0.940–0.946 | (a bound) |
 * | anisotropic, 6 levels                     |      46 |   1.30e-4 |       0.941 |           |
 * | anisotropic, 8 levels                     |      51 |   7.75e-5 |       0.951 |           |
 * | ColBERTv2 scalar 4-bit (before v2)        |      66 |   5.95e-5 |       0.950 |   153 M/s |
 * | **residual-4**: anisotropic, 16 levels    |      66 |   2.44e-5 |       0.969 |   200 M/s |
 *
 * The synthetic tokens are normalize(concept + isotropic noise): beyond the centroid the
 * residual is Gaussian noise, for which D(R) = σ²·2^(−2R) is the exact MSE bound. An ideal
 * quantiser at the 40 B rate (the bench's Gaussian test-channel rows, α exact or not) reaches
 * recall 0.940–0.946, so 0.95 at ≤ 40 B is out of reach at noise 0.6 for any per-token
 * MSE-optimal code, not just for ours (it takes ≈ 51 B here); fixed-rate scalar codes sit
 * ≈ 3 dB (2× MSE) above the bound, the 3-D codebook ≈ 2.3 dB. At noise 0.45 / 0.3 (100
 * queries, ±0.007): residual-2 0.946 / 0.941 (5³ grid 0.927 / 0.927, ColBERTv2 2-bit at 34 B
 * 0.899 / 0.919), the 40 B bound 0.947–0.954 / 0.955–0.958, residual-4 0.974 / 0.966.
 * Real ColBERT residuals are anisotropic and less noisy; PLAID reports far smaller losses there.
 *
 * States written before this scheme (JSON without `version`) hold ColBERTv2's scalar codec —
 * `2^nbits` buckets with quantile cutoffs pooled over all coordinates of `x − c`, decoded to the
 * bucket's sample mean; they still load and decode exactly as before (`scheme: "scalar"`).
 *
 * It lives in `index/` rather than the storage codec registry because encoding needs the
 * asynchronous ONNX Runtime nearest-centroid search, while registry codecs encode synchronously.
 */
import { MaxsimError } from "../errors.js";
import type { CentroidIds } from "./plaid.js";

/** Residual schemes: `scalar` = ColBERTv2 (states without a version), `anisotropic` = the default. */
export type ResidualScheme = "scalar" | "anisotropic";

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

interface Layout {
  /** Coordinates per group code. */
  group: number;
  /** Bits per group code. */
  groupBits: number;
  /** Groups of orthogonal coordinates. */
  groups: number;
  /** Orthogonal coordinates after the groups (2-bit tail codes). */
  tail: number;
  alphaBits: number;
  bytes: number;
}

function layoutOf(dim: number, levels: number, alphaBits: number): Layout {
  const m = Math.max(0, dim - 1);
  // 5 and 6 levels: three coordinates per code (5³ = 125 ≤ 2⁷, 6³ = 216 ≤ 2⁸); 128: a 3-D vector
  // codebook (7 bits per three coordinates); else one coordinate per code.
  const group = levels === 5 || levels === 6 || levels === VQ ? 3 : 1;
  const groupBits = levels === 5 || levels === VQ ? 7 : levels === 6 ? 8 : Math.log2(levels);
  const groups = Math.floor(m / group);
  const tail = m - groups * group;
  const bits = alphaBits + groups * groupBits + tail * 2;
  return { group, groupBits, groups, tail, alphaBits, bytes: Math.ceil(bits / 8) };
}

function isAnisotropic(q: Pick<ResidualQuantizer, "scheme">): boolean {
  return q.scheme === "anisotropic";
}

/**
 * Bytes of packed residual per token (without the centroid id). A state without `scheme` (or a
 * bare `{ nbits, dim }`) is the scalar scheme of states written before v2.
 */
export function residualBytes(q: Pick<ResidualQuantizer, "nbits" | "dim"> & Partial<Pick<ResidualQuantizer, "scheme" | "levels" | "alphaBits">>): number {
  if (q.scheme !== "anisotropic") return Math.ceil((q.dim * q.nbits) / 8);
  return layoutOf(q.dim, q.levels ?? defaultLevels(q.nbits), q.alphaBits ?? defaultAlphaBits(q.nbits)).bytes;
}

/** 8 bits for α, except 4 with 16-level codes: then α and 127 coordinates fill 64 bytes, as ColBERTv2's 4-bit codes did. */
function defaultAlphaBits(nbits: number): number {
  return nbits === 4 ? 4 : 8;
}

const LEVELS: readonly number[] = [4, 5, 6, 8, 16, 128, 256];
/** `levels` value of the 3-D vector codebook. */
const VQ = 128;

function defaultLevels(nbits: number): 4 | 5 | 16 | 128 | 256 {
  return nbits === 2 ? VQ : nbits === 4 ? 16 : 256;
}

/**
 * Fits the quantiser on sample tokens: `vectors` (rows of `dim`) and `codes`, their nearest
 * centroid ids into `centroids` (unit-norm rows, as `trainKMeans` makes). A strided sample of a
 * few thousand tokens is plenty.
 *
 * @param nbits - 2 (40 bytes/token with the 2-byte id at dim 128), 4 (66) or 8 (130)
 * @throws MaxsimError `INVALID_OPTION` for an unsupported `nbits` or option
 */
export function fitResidualQuantizer(
  vectors: Float32Array,
  codes: CentroidIds,
  centroids: Float32Array,
  dim: number,
  nbits: number,
  options: ResidualFitOptions = {},
): ResidualQuantizer {
  if (nbits !== 2 && nbits !== 4 && nbits !== 8) {
    throw new MaxsimError("INVALID_OPTION", `Residual codec nbits must be 2, 4 or 8 (got ${nbits}). Use nbits: 2 for the smallest index, 4 for higher recall.`);
  }
  const scheme = options.scheme ?? "anisotropic";
  if (scheme === "scalar") return fitScalar(vectors, codes, centroids, dim, nbits);
  const levels = options.levels ?? defaultLevels(nbits);
  const alphaBits = options.alphaBits ?? defaultAlphaBits(nbits);
  if (!LEVELS.includes(levels) || !Number.isInteger(alphaBits) || alphaBits < 1 || alphaBits > 8) {
    throw new MaxsimError("INVALID_OPTION", `Residual levels must be 4, 5, 6, 8, 16, 128 or 256 and alphaBits 1–8 (got ${levels}, ${alphaBits}). Leave them unset for the defaults.`);
  }
  const n = codes.length;
  const m = Math.max(0, dim - 1);
  const frame = frameOf(centroids, dim);
  const alphas = new Float32Array(n);
  const orth = new Float32Array(n * m);
  const y = new Float32Array(dim);
  for (let t = 0; t < n; t++) {
    alphas[t] = toFrame(vectors, t * dim, centroids, codes[t]!, frame, dim, y);
    orth.set(y.subarray(1), t * m);
  }
  const iterations = options.iterations ?? 25;
  const orthBook = levels === VQ ? { cutoffs: new Float32Array(0), weights: trainVq(orth, m, iterations) } : lloydMax(orth, levels, iterations);
  const alphaBook = lloydMax(alphas, 1 << alphaBits, iterations);
  const q: ResidualQuantizer = {
    nbits,
    dim,
    scheme: "anisotropic",
    cutoffs: orthBook.cutoffs,
    weights: orthBook.weights,
    levels,
    alphaBits,
    alphaCutoffs: alphaBook.cutoffs,
    alphaWeights: alphaBook.weights,
  };
  if (layoutOf(dim, levels, alphaBits).tail > 0) {
    const tailBook = lloydMax(orth, 4, iterations);
    q.tailCutoffs = tailBook.cutoffs;
    q.tailWeights = tailBook.weights;
  }
  return q;
}

/** ColBERTv2's scalar codec, as written before v2 (quantile cutoffs, bucket-mean weights). */
function fitScalar(vectors: Float32Array, codes: CentroidIds, centroids: Float32Array, dim: number, nbits: 2 | 4 | 8): ResidualQuantizer {
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

/**
 * Lloyd-Max scalar quantiser of `values` with `levels` levels (MSE-optimal fixed-rate codebook):
 * cutoffs are midpoints between weights, weights are bucket means. Starts from equal-count buckets.
 */
function lloydMax(values: Float32Array, levels: number, iterations: number): { cutoffs: Float32Array; weights: Float32Array } {
  const sorted = Float32Array.from(values).sort();
  const n = sorted.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + sorted[i]!;
  const weights = new Float64Array(levels);
  const bounds = new Int32Array(levels + 1);
  for (let b = 0; b <= levels; b++) bounds[b] = Math.round((b * n) / levels);
  const mean = (lo: number, hi: number, fallback: number): number => (hi > lo ? (prefix[hi]! - prefix[lo]!) / (hi - lo) : fallback);
  for (let b = 0; b < levels; b++) weights[b] = mean(bounds[b]!, bounds[b + 1]!, n === 0 ? 0 : sorted[Math.min(n - 1, bounds[b]!)]!);
  for (let it = 0; it < iterations && n > 0; it++) {
    for (let b = 1; b < levels; b++) bounds[b] = lowerBound(sorted, (weights[b - 1]! + weights[b]!) / 2);
    for (let b = 0; b < levels; b++) weights[b] = mean(bounds[b]!, bounds[b + 1]!, weights[b]!);
    for (let b = 1; b < levels; b++) if (weights[b]! < weights[b - 1]!) weights[b] = weights[b - 1]!; // keep ascending
  }
  const w = Float32Array.from(weights);
  return { cutoffs: midpoints(w), weights: w };
}

/**
 * Trains the 3-D codebook (`VQ` codewords, 3 floats each) on the triples of orthogonal
 * coordinates (`values`: rows of `m`): Lloyd's k-means from the 5 × 5 × 5 Lloyd-Max grid plus
 * three sample triples, on at most 65,536 strided triples. Deterministic.
 */
function trainVq(values: Float32Array, m: number, iterations: number): Float32Array {
  const rows = m > 0 ? values.length / m : 0;
  const groups = Math.floor(m / 3);
  const total = rows * groups;
  const stride = Math.max(1, Math.floor(total / 65536));
  const n = Math.floor((total + stride - 1) / stride);
  const pts = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const j = i * stride;
    pts.set(values.subarray(Math.floor(j / groups) * m + (j % groups) * 3, Math.floor(j / groups) * m + (j % groups) * 3 + 3), i * 3);
  }
  const book = new Float32Array(VQ * 3);
  const grid = lloydMax(pts, 5, iterations).weights;
  for (let c = 0; c < 125; c++) book.set([grid[c % 5]!, grid[Math.floor(c / 5) % 5]!, grid[Math.floor(c / 25)]!], c * 3);
  for (let c = 125; c < VQ; c++) if (n > 0) book.set(pts.subarray(((c * 7919) % n) * 3, ((c * 7919) % n) * 3 + 3), c * 3);
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations && n > 0; it++) {
    const search = buildVqSearch(book);
    for (let i = 0; i < n; i++) assign[i] = search.nearest(pts, i * 3);
    const sums = new Float64Array(VQ * 3);
    const counts = new Float64Array(VQ);
    for (let i = 0; i < n; i++) {
      const c = assign[i]!;
      counts[c]!++;
      for (let j = 0; j < 3; j++) sums[c * 3 + j]! += pts[i * 3 + j]!;
    }
    for (let c = 0; c < VQ; c++) {
      if (counts[c]! > 0) for (let j = 0; j < 3; j++) book[c * 3 + j] = sums[c * 3 + j]! / counts[c]!;
      else book.set(pts.subarray(((c * 104729 + it) % n) * 3, ((c * 104729 + it) % n) * 3 + 3), c * 3); // re-seed an empty codeword
    }
  }
  return book;
}

/**
 * Exact nearest-codeword search for the 3-D codebook, fast: space is cut into `BINS³` boxes
 * (the outer ones unbounded) and each box lists only the codewords that can be nearest to some
 * point in it (min distance to the box ≤ the smallest max distance of any codeword). Same result
 * as brute force, ties to the lowest index.
 */
interface VqSearch {
  nearest(y: Float32Array, at: number): number;
}

const VQ_BINS = 16;
const searches = new WeakMap<ResidualQuantizer, VqSearch>();

function vqSearch(q: ResidualQuantizer): VqSearch {
  let search = searches.get(q);
  if (!search) searches.set(q, (search = buildVqSearch(q.weights)));
  return search;
}

function buildVqSearch(book: Float32Array): VqSearch {
  const k = book.length / 3;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of book) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const width = hi > lo ? (hi - lo) / VQ_BINS : 1;
  const lower = Float64Array.from({ length: VQ_BINS }, (_, i) => (i === 0 ? -Infinity : lo + i * width));
  const upper = Float64Array.from({ length: VQ_BINS }, (_, i) => (i === VQ_BINS - 1 ? Infinity : lo + (i + 1) * width));
  const start = new Int32Array(VQ_BINS ** 3 + 1);
  const list: number[] = [];
  const dmin = new Float64Array(k);
  for (let cell = 0; cell < VQ_BINS ** 3; cell++) {
    const idx = [cell % VQ_BINS, Math.floor(cell / VQ_BINS) % VQ_BINS, Math.floor(cell / VQ_BINS ** 2)];
    let bound = Infinity;
    for (let c = 0; c < k; c++) {
      let near = 0;
      let far = 0;
      for (let j = 0; j < 3; j++) {
        const v = book[c * 3 + j]!;
        const a = lower[idx[j]!]!;
        const b = upper[idx[j]!]!;
        near += v < a ? (a - v) ** 2 : v > b ? (v - b) ** 2 : 0;
        far += Math.max((v - a) ** 2, (v - b) ** 2);
      }
      dmin[c] = near;
      bound = Math.min(bound, far);
    }
    for (let c = 0; c < k; c++) if (dmin[c]! <= bound) list.push(c);
    start[cell + 1] = list.length;
  }
  const cands = Int32Array.from(list);
  const cellOf = (v: number): number => Math.min(VQ_BINS - 1, Math.max(0, Math.floor((v - lo) / width)));
  return {
    nearest(y, at) {
      const x0 = y[at]!;
      const x1 = y[at + 1]!;
      const x2 = y[at + 2]!;
      const cell = cellOf(x0) + VQ_BINS * (cellOf(x1) + VQ_BINS * cellOf(x2));
      let best = Infinity;
      let arg = 0;
      for (let i = start[cell]!; i < start[cell + 1]!; i++) {
        const c = cands[i]! * 3;
        const d = (x0 - book[c]!) ** 2 + (x1 - book[c + 1]!) ** 2 + (x2 - book[c + 2]!) ** 2;
        if (d < best) {
          best = d;
          arg = c / 3;
        }
      }
      return arg;
    },
  };
}

function midpoints(w: Float32Array): Float32Array {
  const c = new Float32Array(Math.max(0, w.length - 1));
  for (let b = 1; b < w.length; b++) c[b - 1] = (w[b - 1]! + w[b]!) / 2;
  return c;
}

/** First index with `sorted[i] ≥ v`. */
function lowerBound(sorted: Float32Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
 * Per-centroid constants of the Householder reflection `H = I − f·v·vᵀ`, `v = c + a·e₁`,
 * `a = sign(c₀)·|c|` (the sign avoids cancellation), `f = 2 / |v|²`: `H·c = −a·e₁`.
 * `invNorm` = 1/|c| turns `x·c` into the coefficient along the unit centroid.
 */
interface Frame {
  a: Float32Array;
  f: Float32Array;
  invNorm: Float32Array;
}

// Keyed by the centroid array: the index replaces (never mutates) it when centroids retrain.
const frames = new WeakMap<Float32Array, Frame>();

function frameOf(centroids: Float32Array, dim: number): Frame {
  const cached = frames.get(centroids);
  if (cached && cached.a.length === centroids.length / dim) return cached;
  const k = centroids.length / dim;
  const frame: Frame = { a: new Float32Array(k), f: new Float32Array(k), invNorm: new Float32Array(k) };
  for (let c = 0; c < k; c++) {
    let nn = 0;
    for (let d = 0; d < dim; d++) nn += centroids[c * dim + d]! ** 2;
    const norm = Math.sqrt(nn);
    const c0 = centroids[c * dim]!;
    const a = c0 >= 0 ? norm : -norm;
    const vv = 2 * norm * (norm + Math.abs(c0));
    frame.a[c] = a;
    frame.f[c] = vv > 0 ? 2 / vv : 0;
    frame.invNorm[c] = norm > 0 ? 1 / norm : 0;
  }
  frames.set(centroids, frame);
  return frame;
}

/** Writes `H·x` of row `xo` into `y` and returns α = x·ĉ (then `y[0] = −sign(c₀)·α`). */
function toFrame(x: Float32Array, xo: number, centroids: Float32Array, code: number, frame: Frame, dim: number, y: Float32Array): number {
  const co = code * dim;
  const a = frame.a[code]!;
  let cx = 0;
  for (let d = 0; d < dim; d++) cx += centroids[co + d]! * x[xo + d]!;
  const s = frame.f[code]! * (cx + a * x[xo]!);
  for (let d = 0; d < dim; d++) y[d] = x[xo + d]! - s * centroids[co + d]!;
  y[0]! -= s * a;
  return cx * frame.invNorm[code]!;
}

/**
 * Packs the residuals of `rows` tokens (`data` rows, `codes` their centroid ids) into `out`
 * (`rows · residualBytes` bytes, allocated when absent). Bytes of `out` are overwritten
 * (anisotropic) or OR-ed into (scalar states: pass a zeroed `out`).
 */
export function encodeResiduals(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array {
  if (!isAnisotropic(q)) return encodeScalar(q, data, codes, centroids, out);
  const dim = q.dim;
  const rows = codes.length;
  const L = layoutOf(dim, q.levels!, q.alphaBits!);
  const rb = L.bytes;
  const packed = out ?? new Uint8Array(rows * rb);
  const frame = frameOf(centroids, dim);
  const y = new Float32Array(dim);
  const aCut = q.alphaCutoffs!;
  const cut = q.cutoffs;
  const tCut = q.tailCutoffs;
  const levels = q.levels!;
  const vq = levels === VQ ? vqSearch(q) : null;
  for (let t = 0; t < rows; t++) {
    const alpha = toFrame(data, t * dim, centroids, codes[t]!, frame, dim, y);
    let p = t * rb;
    let acc = bucketOf(alpha, aCut);
    let nb = L.alphaBits;
    let d = 1;
    for (let g = 0; g < L.groups; g++) {
      let code: number;
      if (vq) {
        code = vq.nearest(y, d);
        d += 3;
      } else if (L.group === 3) {
        code = bucketOf(y[d]!, cut) + levels * (bucketOf(y[d + 1]!, cut) + levels * bucketOf(y[d + 2]!, cut));
        d += 3;
      } else code = bucketOf(y[d++]!, cut);
      acc |= code << nb;
      nb += L.groupBits;
      while (nb >= 8) {
        packed[p++] = acc & 255;
        acc >>>= 8;
        nb -= 8;
      }
    }
    for (let i = 0; i < L.tail; i++) {
      acc |= bucketOf(y[d++]!, tCut!) << nb;
      nb += 2;
      while (nb >= 8) {
        packed[p++] = acc & 255;
        acc >>>= 8;
        nb -= 8;
      }
    }
    if (nb > 0) packed[p] = acc & 255;
  }
  return packed;
}

function encodeScalar(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array {
  const dim = q.dim;
  const rows = codes.length;
  const rb = residualBytes({ nbits: q.nbits, dim, scheme: "scalar" });
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

// Group lookup tables: code → `group` decoded coordinates.
const tables = new WeakMap<ResidualQuantizer, Float32Array>();

function groupTable(q: ResidualQuantizer): Float32Array {
  let lut = tables.get(q);
  if (lut) return lut;
  const w = q.weights;
  const L = q.levels!;
  if (L === VQ) lut = Float32Array.from(w);
  else if (L === 5 || L === 6) {
    lut = new Float32Array(256 * 3);
    for (let code = 0; code < L * L * L; code++) {
      lut[code * 3] = w[code % L]!;
      lut[code * 3 + 1] = w[Math.floor(code / L) % L]!;
      lut[code * 3 + 2] = w[Math.floor(code / (L * L))]!;
    }
  } else lut = Float32Array.from(w);
  tables.set(q, lut);
  return lut;
}

const byteTables = new WeakMap<ResidualQuantizer, Float32Array>();

/** For 1-coordinate codes of 2, 4 or 8 bits: byte → its `8 / bits` decoded coordinates, low bits first. */
function byteTable(q: ResidualQuantizer): Float32Array {
  let bt = byteTables.get(q);
  if (bt) return bt;
  const bits = Math.log2(q.levels!);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  bt = new Float32Array(256 * per);
  for (let b = 0; b < 256; b++) for (let j = 0; j < per; j++) bt[b * per + j] = q.weights[(b >> (j * bits)) & mask]!;
  byteTables.set(q, bt);
  return bt;
}

/** Decodes tokens `[from, to)` of packed residuals into rows `outRow`.. of `out`. */
export function decodeResiduals(
  q: ResidualQuantizer,
  packed: Uint8Array,
  codes: CentroidIds,
  centroids: Float32Array,
  from: number,
  to: number,
  out: Float32Array,
  outRow = 0,
): Float32Array {
  if (!isAnisotropic(q)) return decodeScalar(q, packed, codes, centroids, from, to, out, outRow);
  const dim = q.dim;
  const L = layoutOf(dim, q.levels!, q.alphaBits!);
  const rb = L.bytes;
  const frame = frameOf(centroids, dim);
  const lut = groupTable(q);
  const aw = q.alphaWeights!;
  const tw = q.tailWeights;
  const aMask = (1 << L.alphaBits) - 1;
  const gMask = (1 << L.groupBits) - 1;
  const gb = L.groupBits;
  for (let t = from; t < to; t++) {
    const code = codes[t]!;
    const co = code * dim;
    const oo = (outRow + t - from) * dim;
    let p = t * rb;
    let acc = 0;
    let nb = 0;
    while (nb < L.alphaBits) {
      acc |= packed[p++]! << nb;
      nb += 8;
    }
    const a = frame.a[code]!;
    // y₀ = −sign(c₀)·α; the rest are orthogonal coordinates in the reflected frame.
    const y0 = -(a >= 0 ? 1 : -1) * aw[acc & aMask]!;
    acc >>>= L.alphaBits;
    nb -= L.alphaBits;
    out[oo] = y0;
    let cy = 0;
    let d = oo + 1;
    let c = co + 1;
    if (L.group === 3) {
      for (let g = 0; g < L.groups; g++) {
        if (nb < gb) {
          acc |= packed[p++]! << nb;
          nb += 8;
        }
        const k = (acc & gMask) * 3;
        acc >>>= gb;
        nb -= gb;
        const v0 = lut[k]!;
        const v1 = lut[k + 1]!;
        const v2 = lut[k + 2]!;
        out[d] = v0;
        out[d + 1] = v1;
        out[d + 2] = v2;
        cy += centroids[c]! * v0 + centroids[c + 1]! * v1 + centroids[c + 2]! * v2;
        d += 3;
        c += 3;
      }
    } else {
      // One coordinate per code, read bit by bit; when a byte holds whole codes (2, 4 or 8 bits)
      // and the reader is byte-aligned, one byte-table row gives 8 / groupBits coordinates at once.
      const per = 8 % gb === 0 ? 8 / gb : 0;
      const bt = per > 0 ? byteTable(q) : null;
      for (let g = 0; g < L.groups; ) {
        if (bt !== null && nb === 0 && L.groups - g >= per) {
          // Whole bytes in one inner loop (4-bit codes unrolled: residual-4's hot path).
          const full = Math.floor((L.groups - g) / per);
          if (per === 2) {
            for (let x = 0; x < full; x++) {
              const k = packed[p++]! * 2;
              const v0 = bt[k]!;
              const v1 = bt[k + 1]!;
              out[d] = v0;
              out[d + 1] = v1;
              cy += centroids[c]! * v0 + centroids[c + 1]! * v1;
              d += 2;
              c += 2;
            }
          } else {
            for (let x = 0; x < full * per; x += per) {
              const k = packed[p++]! * per;
              for (let j = 0; j < per; j++) {
                const v = bt[k + j]!;
                out[d++] = v;
                cy += centroids[c++]! * v;
              }
            }
          }
          g += full * per;
          continue;
        }
        if (nb < gb) {
          acc |= packed[p++]! << nb;
          nb += 8;
        }
        const v = lut[acc & gMask]!;
        acc >>>= gb;
        nb -= gb;
        out[d++] = v;
        cy += centroids[c++]! * v;
        g++;
      }
    }
    for (let i = 0; i < L.tail; i++) {
      if (nb < 2) {
        acc |= packed[p++]! << nb;
        nb += 8;
      }
      const v = tw![acc & 3]!;
      acc >>>= 2;
      nb -= 2;
      out[d++] = v;
      cy += centroids[c++]! * v;
    }
    // x = H·y = y − f·(v·y)·v with v = c + a·e₁.
    cy += centroids[co]! * y0;
    const s = frame.f[code]! * (cy + a * y0);
    for (let i = 0; i < dim; i++) out[oo + i]! -= s * centroids[co + i]!;
    out[oo]! -= s * a;
  }
  return out;
}

function decodeScalar(
  q: ResidualQuantizer,
  packed: Uint8Array,
  codes: CentroidIds,
  centroids: Float32Array,
  from: number,
  to: number,
  out: Float32Array,
  outRow: number,
): Float32Array {
  const dim = q.dim;
  const rb = residualBytes({ nbits: q.nbits, dim, scheme: "scalar" });
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

const STATE_VERSION = 2;

/**
 * Serialises a quantiser (JSON, small). Anisotropic states carry `version: 2`; scalar states are
 * written exactly as before v2.
 */
export function encodeResidualState(q: ResidualQuantizer): Uint8Array {
  if (!isAnisotropic(q)) {
    return new TextEncoder().encode(JSON.stringify({ nbits: q.nbits, dim: q.dim, cutoffs: [...q.cutoffs], weights: [...q.weights] }));
  }
  const state = {
    version: STATE_VERSION,
    scheme: "anisotropic",
    nbits: q.nbits,
    dim: q.dim,
    levels: q.levels,
    alphaBits: q.alphaBits,
    weights: [...q.weights],
    alphaWeights: [...q.alphaWeights!],
    ...(q.tailWeights ? { tailWeights: [...q.tailWeights] } : {}),
  };
  return new TextEncoder().encode(JSON.stringify(state));
}

/**
 * Parses {@link encodeResidualState} output, including states written before v2 (no `version`:
 * the scalar scheme).
 *
 * @throws MaxsimError `INDEX_VERSION` for a state from a newer version, `INDEX_CORRUPT` for a malformed one
 */
export function decodeResidualState(bytes: Uint8Array): ResidualQuantizer {
  const o = JSON.parse(new TextDecoder().decode(bytes)) as {
    version?: number;
    scheme?: string;
    nbits: 2 | 4 | 8;
    dim: number;
    cutoffs?: number[];
    weights: number[];
    levels?: number;
    alphaBits?: number;
    alphaWeights?: number[];
    tailWeights?: number[];
  };
  if (o.version === undefined) {
    return { nbits: o.nbits, dim: o.dim, cutoffs: Float32Array.from(o.cutoffs ?? []), weights: Float32Array.from(o.weights) };
  }
  if (o.version > STATE_VERSION) {
    throw new MaxsimError("INDEX_VERSION", `The residual quantizer state has version ${o.version}, newer than this maxsim reads (${STATE_VERSION}). Upgrade @maxsim/core.`);
  }
  const levels = o.levels ?? 0;
  const alphaBits = o.alphaBits ?? 0;
  if (o.scheme !== "anisotropic" || !LEVELS.includes(levels) || o.weights.length !== (levels === VQ ? VQ * 3 : levels) || o.alphaWeights?.length !== 1 << alphaBits) {
    throw new MaxsimError("INDEX_CORRUPT", "The residual quantizer state is malformed (scheme, levels or codebook sizes). Rebuild the index.");
  }
  if (layoutOf(o.dim, levels, alphaBits).tail > 0 && o.tailWeights?.length !== 4) {
    throw new MaxsimError("INDEX_CORRUPT", "The residual quantizer state lacks its 4-level tail codebook. Rebuild the index.");
  }
  const weights = Float32Array.from(o.weights);
  const alphaWeights = Float32Array.from(o.alphaWeights);
  const q: ResidualQuantizer = {
    nbits: o.nbits,
    dim: o.dim,
    scheme: "anisotropic",
    cutoffs: levels === VQ ? new Float32Array(0) : midpoints(weights),
    weights,
    levels,
    alphaBits,
    alphaCutoffs: midpoints(alphaWeights),
    alphaWeights,
  };
  if (o.tailWeights) {
    q.tailWeights = Float32Array.from(o.tailWeights);
    q.tailCutoffs = midpoints(q.tailWeights);
  }
  return q;
}
