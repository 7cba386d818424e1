/**
 * The anisotropic scheme's frame: the Householder reflection that maps a token's centroid onto the
 * first axis, so the coefficient along the centroid gets its own codebook (O(dim) per token).
 */

/**
 * Per-centroid constants of the Householder reflection `H = I − f·v·vᵀ`, `v = c + a·e₁`,
 * `a = sign(c₀)·|c|` (the sign avoids cancellation), `f = 2 / |v|²`: `H·c = −a·e₁`.
 * `invNorm` = 1/|c| turns `x·c` into the coefficient along the unit centroid.
 */
export interface Frame {
  a: Float32Array;
  f: Float32Array;
  invNorm: Float32Array;
}

// Keyed by the centroid array: the index replaces (never mutates) it when centroids retrain.
const frames = new WeakMap<Float32Array, Frame>();

export function frameOf(centroids: Float32Array, dim: number): Frame {
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
export function toFrame(x: Float32Array, xo: number, centroids: Float32Array, code: number, frame: Frame, dim: number, y: Float32Array): number {
  const co = code * dim;
  const a = frame.a[code]!;
  let cx = 0;
  for (let d = 0; d < dim; d++) cx += centroids[co + d]! * x[xo + d]!;
  const s = frame.f[code]! * (cx + a * x[xo]!);
  for (let d = 0; d < dim; d++) y[d] = x[xo + d]! - s * centroids[co + d]!;
  y[0]! -= s * a;
  return cx * frame.invNorm[code]!;
}
