/**
 * Ward hierarchical clustering cut into at most `k` flat clusters, as scipy's
 * `linkage(condensed, method="ward")` followed by `fcluster(Z, t=k, criterion="maxclust")` does
 * (what PyLate's token pooling calls). Learned from scipy's `_hierarchy` module:
 *
 * - Linkage: the nearest-neighbour-chain algorithm over a condensed dissimilarity matrix with
 *   Ward's Lance–Williams update `d(i, x∪y) = sqrt(((nᵢ+nₓ)·d(i,x)² + (nᵢ+n_y)·d(i,y)² −
 *   nᵢ·d(x,y)²) / (nᵢ+nₓ+n_y))`; the merged cluster lives in the larger slot. Merges are then
 *   stably sorted by height and relabelled (new cluster `n + step`, smaller root first), which is
 *   scipy's linkage matrix `Z`.
 * - maxclust: the smallest merge height whose cut leaves ≤ k clusters; every merge at or below it
 *   joins (ties at the cut can leave fewer than k).
 * - Cluster numbers follow scipy's pre-order walk from the root (left child, then right child,
 *   then the node's leaf children), so clusters come out in the order PyLate's means do.
 */

/** One merge of the linkage matrix: clusters `a < b` joined at `height` into `size` points. */
export interface WardMerge {
  a: number;
  b: number;
  height: number;
  size: number;
}

/** Index of pair `(i, j)`, `i < j`, in a condensed `n × n` matrix (scipy's order). */
function condensedIndex(n: number, i: number, j: number): number {
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

/**
 * Ward linkage of `n` points from their condensed pairwise dissimilarities (scipy's `Z`).
 *
 * @param dist - `n·(n−1)/2` dissimilarities, row-major upper triangle; modified in place
 * @example
 * ```ts
 * import { wardLinkage } from "./ward-clusters.js";
 * // three points on a line at 0, 1 and 3
 * const z = wardLinkage(Float64Array.from([1, 3, 2]), 3);
 * console.log(z.map((m) => [m.a, m.b, Number(m.height.toFixed(4)), m.size])); // [ [ 0, 1, 1, 2 ], [ 2, 3, 2.8868, 3 ] ]
 * ```
 */
export function wardLinkage(dist: Float64Array, n: number): WardMerge[] {
  const size = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let chainLength = 0;
  const raw: WardMerge[] = [];
  for (let step = 0; step < n - 1; step++) {
    if (chainLength === 0) {
      for (let i = 0; i < n; i++) {
        if (size[i]! > 0) {
          chain[0] = i;
          break;
        }
      }
      chainLength = 1;
    }
    let x = 0;
    let y = 0;
    let best = Infinity;
    for (;;) {
      x = chain[chainLength - 1]!;
      if (chainLength > 1) {
        y = chain[chainLength - 2]!;
        best = dist[x < y ? condensedIndex(n, x, y) : condensedIndex(n, y, x)]!;
      } else {
        best = Infinity;
      }
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const d = dist[x < i ? condensedIndex(n, x, i) : condensedIndex(n, i, x)]!;
        if (d < best) {
          best = d;
          y = i;
        }
      }
      if (chainLength > 1 && y === chain[chainLength - 2]) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x]!;
    const ny = size[y]!;
    raw.push({ a: x, b: y, height: best, size: nx + ny });
    size[x] = 0;
    size[y] = nx + ny;
    for (let i = 0; i < n; i++) {
      const ni = size[i]!;
      if (ni === 0 || i === y) continue;
      const dxi = dist[i < x ? condensedIndex(n, i, x) : condensedIndex(n, x, i)]!;
      const iy = i < y ? condensedIndex(n, i, y) : condensedIndex(n, y, i);
      const dyi = dist[iy]!;
      const t = 1 / (nx + ny + ni);
      dist[iy] = Math.sqrt(Math.max(0, (ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * best * best));
    }
  }
  // Stable sort by height, then relabel slots into cluster ids (union-find), as scipy's `label`.
  const order = raw.map((_, i) => i).sort((p, q) => raw[p]!.height - raw[q]!.height || p - q);
  const parent = new Int32Array(2 * n - 1).map((_, i) => i);
  const root = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]!]!;
      v = parent[v]!;
    }
    return v;
  };
  const clusterOfSlot = new Int32Array(n).map((_, i) => i);
  return order.map((r, step) => {
    const m = raw[r]!;
    const ra = root(clusterOfSlot[m.a]!);
    const rb = root(clusterOfSlot[m.b]!);
    const id = n + step;
    parent[ra] = id;
    parent[rb] = id;
    clusterOfSlot[m.a] = id;
    clusterOfSlot[m.b] = id;
    return { a: Math.min(ra, rb), b: Math.max(ra, rb), height: m.height, size: m.size };
  });
}

/**
 * Flat cluster labels `1…c` (c ≤ `k`) from a linkage, scipy's `fcluster(Z, k, "maxclust")`.
 *
 * @example
 * ```ts
 * import { maxClusters, wardLinkage } from "./ward-clusters.js";
 * const z = wardLinkage(Float64Array.from([1, 3, 2]), 3);
 * console.log(Array.from(maxClusters(z, 3, 2))); // [ 1, 1, 2 ]
 * ```
 */
export function maxClusters(z: readonly WardMerge[], n: number, k: number): Int32Array {
  const labels = new Int32Array(n);
  if (n === 0) return labels;
  if (n === 1) {
    labels[0] = 1;
    return labels;
  }
  // Merges are sorted by height (Ward is monotone): the cut keeps the first n − k merges and
  // every later one at the same height.
  const cut = k >= n ? -Infinity : z[Math.max(0, n - k - 1)]!.height;
  let next = 0;
  let leader = -1;
  const visit = (node: number): void => {
    const m = z[node - n]!;
    let leads = false;
    if (leader === -1 && m.height <= cut) {
      leader = node;
      next++;
      leads = true;
    }
    if (m.a >= n) visit(m.a);
    if (m.b >= n) visit(m.b);
    for (const child of [m.a, m.b]) {
      if (child < n) {
        if (leader === -1) next++;
        labels[child] = next;
      }
    }
    if (leads) leader = -1;
  };
  visit(2 * n - 2);
  return labels;
}
