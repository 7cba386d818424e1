/** Small numeric helpers shared by the core tests. */
import type { TokenVectors } from "../src/types.js";

/** Deterministic PRNG (mulberry32) so failures reproduce: same seed, same stream of [0, 1) values. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cosine similarity of two equal-length vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * MaxSim straight from its definition, Σ_i max_j Σ_k q[i,k]·d[j,k], in plain loops: the
 * reference every kernel and index result is checked against.
 */
export function naiveMaxSim(q: TokenVectors, d: TokenVectors): number {
  let total = 0;
  for (let i = 0; i < q.length; i++) {
    let best = -Infinity;
    for (let j = 0; j < d.length; j++) {
      let s = 0;
      for (let k = 0; k < q.dim; k++) s += q.data[i * q.dim + k]! * d.data[j * d.dim + k]!;
      best = Math.max(best, s);
    }
    total += best;
  }
  return total;
}
