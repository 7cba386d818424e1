/**
 * Seeded, deterministic spherical k-means over token vectors, the first step of PLAID
 * (Santhanam et al., "PLAID: An Efficient Engine for Late Interaction Retrieval", 2022; centroids
 * as in ColBERTv2's residual compression). Lloyd iterations on a sample. An assignment is one
 * ONNX Runtime GEMM + ArgMax per block up to {@link EXACT_ASSIGN_MAX} centroids, and two-level
 * above (`grouped-assign.ts`), so PLAID's 16·√T centroids over a 16·k-token sample train in
 * seconds to a minute. Centroids are L2-normalised because ColBERT vectors are, and inner
 * product is then the similarity MaxSim uses.
 */
import * as ort from "onnxruntime-node";
import { assignModel } from "../scoring/kernel-model.js";
import { assignGrouped, groupCentroids, type Assignment, type CentroidGroups } from "./grouped-assign.js";
import { seededRandom } from "./synthetic.js";

export type { Assignment } from "./grouped-assign.js";

let assignSession: Promise<ort.InferenceSession> | null = null;

const SIM_BUDGET = 1 << 22; // floats of one [rows, k] similarity block (16 MB)

/**
 * Centroid sets up to this size are assigned exactly (one [rows, k] product); larger ones in two
 * levels (`grouped-assign.ts`), which at PLAID's 16·√T centroids is what keeps a build's
 * assignment from growing as T^1.5.
 */
export const EXACT_ASSIGN_MAX = 4096;

// Groups of a trained centroid set, built once: such arrays are never changed after training.
const grouped = new WeakMap<Float32Array, Promise<CentroidGroups>>();

/**
 * For each of the `data.length / dim` rows, the centroid with the largest inner product (exact up
 * to {@link EXACT_ASSIGN_MAX} centroids, then two-level), and its similarity. `centroids` must not
 * change after its first assignment (its groups are cached).
 */
export async function assignNearest(data: Float32Array, dim: number, centroids: Float32Array): Promise<Assignment> {
  if (centroids.length / dim <= EXACT_ASSIGN_MAX) return assignExact(data, dim, centroids);
  let groups = grouped.get(centroids);
  if (groups === undefined) {
    groups = groupCentroids(centroids, dim);
    grouped.set(centroids, groups);
  }
  return assignGrouped(data, await groups);
}

/** Exact assignment: blocks of one ORT GEMM + ArgMax, so the similarity matrix stays small. */
export async function assignExact(data: Float32Array, dim: number, centroids: Float32Array): Promise<Assignment> {
  const rows = data.length / dim;
  const k = centroids.length / dim;
  const codes = new Int32Array(rows);
  const sims = new Float32Array(rows);
  if (rows === 0) return { codes, sims };
  assignSession ??= ort.InferenceSession.create(assignModel(), { interOpNumThreads: 1, graphOptimizationLevel: "all" });
  const s = await assignSession;
  const cT = new ort.Tensor("float32", centroids, [k, dim]);
  const block = Math.max(64, Math.floor(SIM_BUDGET / k));
  for (let lo = 0; lo < rows; lo += block) {
    const hi = Math.min(rows, lo + block);
    const xT = new ort.Tensor("float32", data.subarray(lo * dim, hi * dim), [hi - lo, dim]);
    const res = await s.run({ x: xT, c: cT });
    const c = res["codes"]!.data as BigInt64Array;
    const b = res["best"]!.data as Float32Array;
    for (let i = 0; i < hi - lo; i++) codes[lo + i] = Number(c[i]!);
    sims.set(b, lo);
  }
  return { codes, sims };
}

/** Options for {@link trainKMeans}. */
export interface KMeansOptions {
  k: number;
  /** Lloyd iterations. @defaultValue 6 */
  iterations?: number;
  /** Rows used for training at most (sampled without replacement). @defaultValue 16·k, at least 16384 */
  sampleSize?: number;
  /** @defaultValue 1234 */
  seed?: number;
}

/** Rows held in some encoded form, copied out one at a time as float32 (an index's token store). */
export interface RowReader {
  readonly rows: number;
  /** Writes row `row` into `out` at row `outRow`. */
  copyRow(row: number, out: Float32Array, outRow: number): void;
}

/**
 * Trains `k` unit-norm centroids on a seeded sample of the rows of `data` (same data and seed →
 * same centroids). Empty clusters are re-seeded from a random sample row. Only the sample is
 * copied out, so `data` may be a {@link RowReader} over encoded rows.
 */
export async function trainKMeans(data: Float32Array | RowReader, dim: number, options: KMeansOptions): Promise<Float32Array> {
  const rows = data instanceof Float32Array ? data.length / dim : data.rows;
  const random = seededRandom(options.seed ?? 1234);
  const want = Math.min(rows, options.sampleSize ?? Math.max(16384, 16 * options.k));
  // Partial Fisher-Yates over row indices: a uniform sample without replacement.
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const sample = new Float32Array(want * dim);
  for (let i = 0; i < want; i++) {
    if (data instanceof Float32Array) sample.set(data.subarray(order[i]! * dim, (order[i]! + 1) * dim), i * dim);
    else data.copyRow(order[i]!, sample, i);
  }
  const k = Math.min(options.k, want);
  const centroids = new Float32Array(k * dim);
  for (let c = 0; c < k; c++) centroids.set(sample.subarray(c * dim, (c + 1) * dim), c * dim); // sample is already shuffled
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let it = 0; it < (options.iterations ?? 6); it++) {
    // The centroids move every iteration: regroup them (cheap: k·√k) rather than use the cache.
    const { codes } = k <= EXACT_ASSIGN_MAX ? await assignExact(sample, dim, centroids) : await assignGrouped(sample, await groupCentroids(centroids, dim));
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < want; i++) {
      const c = codes[i]!;
      counts[c]!++;
      const so = c * dim;
      const xo = i * dim;
      for (let d = 0; d < dim; d++) sums[so + d]! += sample[xo + d]!;
    }
    for (let c = 0; c < k; c++) {
      const co = c * dim;
      if (counts[c] === 0) {
        const r = Math.floor(random() * want);
        centroids.set(sample.subarray(r * dim, (r + 1) * dim), co);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += sums[co + d]! * sums[co + d]!;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) centroids[co + d] = sums[co + d]! * inv;
    }
  }
  return centroids;
}
