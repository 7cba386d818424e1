/** Scalar codebooks: Lloyd-Max fitting and the bucket search every scheme uses. */

/**
 * Lloyd-Max scalar quantiser of `values` with `levels` levels (MSE-optimal fixed-rate codebook):
 * cutoffs are midpoints between weights, weights are bucket means. Starts from equal-count buckets.
 */
export function lloydMax(values: Float32Array, levels: number, iterations: number): { cutoffs: Float32Array; weights: Float32Array } {
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

export function midpoints(w: Float32Array): Float32Array {
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

export function bucketOf(v: number, cutoffs: Float32Array): number {
  let lo = 0;
  let hi = cutoffs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cutoffs[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
