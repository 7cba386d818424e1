/**
 * Nearest-centroid assignment for large centroid sets, in two levels. The exact assignment of
 * T tokens to k centroids is one T×k product: at PLAID's 16·√T centroids that is T^1.5 work, the
 * bulk of a build (1M tokens × 16,384 centroids ≈ 4 TFLOP, ~50 s on 2 cores). Here the centroids
 * are grouped by a small k-means of their own (≈ √k groups); a token is compared with the group
 * centres, then only with the centroids of its best {@link PROBED_GROUPS} groups, so the work per
 * token is ≈ √k + 8·√k dot products instead of k. Each group's comparison is one ORT product over
 * the tokens that probe it, so it stays a GEMM. The answer is approximate (a token whose nearest
 * centroid sits in a ninth-best group gets the best of the eight), which costs k-means and PLAID
 * a little quantisation error, never correctness: every token still gets a real centroid and its
 * true similarity to it.
 */
import * as ort from "onnxruntime-node";
import { assignModel, matmulModel, topGroupsModel } from "../scoring/kernel-model.js";

/** Groups of centroids each token compares with after the group centres. */
export const PROBED_GROUPS = 8;
const BLOCK_ROWS = 16384; // tokens per block: the [rows, groups] product and the gathered copies stay a few MB
const GROUP_ITERATIONS = 5;

/** Nearest centroid (by inner product) of each row and its similarity. */
export interface Assignment {
  codes: Int32Array;
  sims: Float32Array;
}

/** Centroids sorted by group: group `g` owns rows `start[g]..start[g+1]` of `rows`, whose original ids are `ids`. */
export interface CentroidGroups {
  dim: number;
  centres: Float32Array;
  start: Int32Array;
  rows: Float32Array;
  ids: Int32Array;
}

let session: Promise<ort.InferenceSession> | null = null;
let topSession: Promise<ort.InferenceSession> | null = null;
let bestSession: Promise<ort.InferenceSession> | null = null;

/** `y[n, f] = x[n, dim] · w[f, dim]ᵀ` on ONNX Runtime. */
async function product(x: Float32Array, n: number, w: Float32Array, f: number, dim: number): Promise<Float32Array> {
  session ??= ort.InferenceSession.create(matmulModel(), { interOpNumThreads: 1 });
  const s = await session;
  const res = await s.run({
    x: new ort.Tensor("float32", x.subarray(0, n * dim), [n, dim]),
    w: new ort.Tensor("float32", w.subarray(0, f * dim), [f, dim]),
  });
  return res["y"]!.data as Float32Array;
}

/** Index of the largest of `n` values of `v` from `at` (first on ties). */
function argmax(v: Float32Array, at: number, n: number): number {
  let best = 0;
  let bv = v[at]!;
  for (let j = 1; j < n; j++) {
    if (v[at + j]! > bv) {
      bv = v[at + j]!;
      best = j;
    }
  }
  return best;
}

/** Groups `centroids` (unit rows) with a small deterministic k-means of their own. */
export async function groupCentroids(centroids: Float32Array, dim: number): Promise<CentroidGroups> {
  const k = centroids.length / dim;
  const g = Math.max(1, Math.min(k, 2 ** Math.round(Math.log2(Math.sqrt(k)))));
  const centres = new Float32Array(g * dim);
  // Strided initial picks: deterministic, spread over the (already shuffled) training order.
  for (let c = 0; c < g; c++) centres.set(centroids.subarray(Math.floor((c * k) / g) * dim, (Math.floor((c * k) / g) + 1) * dim), c * dim);
  const owner = new Int32Array(k);
  const sums = new Float64Array(g * dim);
  const counts = new Int32Array(g);
  for (let it = 0; it <= GROUP_ITERATIONS; it++) {
    const sims = await product(centroids, k, centres, g, dim);
    for (let i = 0; i < k; i++) owner[i] = argmax(sims, i * g, g);
    if (it === GROUP_ITERATIONS) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < k; i++) {
      const o = owner[i]! * dim;
      counts[owner[i]!]!++;
      for (let d = 0; d < dim; d++) sums[o + d]! += centroids[i * dim + d]!;
    }
    for (let c = 0; c < g; c++) {
      if (counts[c] === 0) continue; // keeps its centre; a group may stay empty
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += sums[c * dim + d]! ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) centres[c * dim + d] = sums[c * dim + d]! * inv;
    }
  }
  // Empty groups are dropped: a token probing one would compare with nothing.
  const renumber = new Int32Array(g).fill(-1);
  let kept = 0;
  for (let i = 0; i < k; i++) if (renumber[owner[i]!] === -1) renumber[owner[i]!] = -2;
  for (let c = 0; c < g; c++) if (renumber[c] === -2) renumber[c] = kept++;
  const used = new Float32Array(kept * dim);
  for (let c = 0; c < g; c++) if (renumber[c]! >= 0) used.set(centres.subarray(c * dim, (c + 1) * dim), renumber[c]! * dim);
  for (let i = 0; i < k; i++) owner[i] = renumber[owner[i]!]!;
  const start = new Int32Array(kept + 1);
  for (let i = 0; i < k; i++) start[owner[i]! + 1]!++;
  for (let c = 0; c < kept; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, kept);
  const ids = new Int32Array(k);
  const rows = new Float32Array(k * dim);
  for (let i = 0; i < k; i++) {
    const at = fill[owner[i]!]!++;
    ids[at] = i;
    rows.set(centroids.subarray(i * dim, (i + 1) * dim), at * dim);
  }
  return { dim, centres: used, start, rows, ids };
}

/** The approximate nearest centroid of each row of `data` through `groups`; see the module comment. */
export async function assignGrouped(data: Float32Array, groups: CentroidGroups): Promise<Assignment> {
  const { dim, centres, start, rows: fine, ids } = groups;
  const g = start.length - 1;
  const probe = Math.min(PROBED_GROUPS, g);
  const n = data.length / dim;
  const codes = new Int32Array(n);
  const sims = new Float32Array(n).fill(-Infinity);
  topSession ??= ort.InferenceSession.create(topGroupsModel(), { interOpNumThreads: 1 });
  bestSession ??= ort.InferenceSession.create(assignModel(), { interOpNumThreads: 1 });
  const [topS, bestS] = await Promise.all([topSession, bestSession]);
  const centresT = new ort.Tensor("float32", centres, [g, dim]);
  const p = new ort.Tensor("int64", BigInt64Array.of(BigInt(probe)), [1]);
  const fineT = Array.from(
    { length: g },
    (_, c) => new ort.Tensor("float32", fine.subarray(start[c]! * dim, start[c + 1]! * dim), [start[c + 1]! - start[c]!, dim]),
  );
  const gathered = new Float32Array(BLOCK_ROWS * probe * dim);
  for (let lo = 0; lo < n; lo += BLOCK_ROWS) {
    const m = Math.min(BLOCK_ROWS, n - lo);
    const block = data.subarray(lo * dim, (lo + m) * dim);
    const top = (await topS.run({ x: new ort.Tensor("float32", block, [m, dim]), c: centresT, p }))["top"]!.data as BigInt64Array;
    // Rows per group (a counting sort), gathered group after group into one buffer.
    const perGroup = new Int32Array(g + 1);
    for (let i = 0; i < m * probe; i++) perGroup[Number(top[i]!) + 1]!++;
    for (let c = 0; c < g; c++) perGroup[c + 1]! += perGroup[c]!;
    const members = new Int32Array(m * probe);
    const cursor = perGroup.slice(0, g);
    for (let i = 0; i < m * probe; i++) members[cursor[Number(top[i]!)]!++] = Math.floor(i / probe);
    for (let x = 0; x < m * probe; x++) {
      const r = members[x]!;
      gathered.set(block.subarray(r * dim, (r + 1) * dim), x * dim);
    }
    for (let c = 0; c < g; c++) {
      const from = perGroup[c]!;
      const count = perGroup[c + 1]! - from;
      if (count === 0) continue;
      const res = await bestS.run({ x: new ort.Tensor("float32", gathered.subarray(from * dim, (from + count) * dim), [count, dim]), c: fineT[c]! });
      const best = res["codes"]!.data as BigInt64Array;
      const value = res["best"]!.data as Float32Array;
      for (let x = 0; x < count; x++) {
        const r = lo + members[from + x]!;
        if (value[x]! > sims[r]!) {
          sims[r] = value[x]!;
          codes[r] = ids[start[c]! + Number(best[x]!)]!;
        }
      }
    }
  }
  return { codes, sims };
}
