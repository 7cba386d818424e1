/**
 * The 3-D vector codebook of residual-2 (128 codewords for triples of orthogonal coordinates):
 * training by Lloyd's k-means and an exact nearest-codeword search over a grid of boxes.
 */
import { lloydMax } from "./lloyd-max.js";
import type { ResidualQuantizer } from "./quantizer.js";

/** `levels` value of the 3-D vector codebook. */
export const VQ = 128;

/**
 * Trains the 3-D codebook (`VQ` codewords, 3 floats each) on the triples of orthogonal
 * coordinates (`values`: rows of `m`): Lloyd's k-means from the 5 × 5 × 5 Lloyd-Max grid plus
 * three sample triples, on at most 65,536 strided triples. Deterministic.
 */
export function trainVq(values: Float32Array, m: number, iterations: number): Float32Array {
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
export interface VqSearch {
  nearest(y: Float32Array, at: number): number;
}

const VQ_BINS = 16;
const searches = new WeakMap<ResidualQuantizer, VqSearch>();

export function vqSearch(q: ResidualQuantizer): VqSearch {
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
