/**
 * The plain-JavaScript MaxSim batch kernel: no session, no copies, lowest latency for small
 * candidate sets (filters with few matches, reranking a short list, explain). For whole-corpus
 * scans the ONNX Runtime kernel (`ort-kernel.ts`) is 10–30× faster; see its header for numbers.
 */
import type { TokenVectors } from "../types.js";
import type { FlatTokens } from "./flat-tokens.js";

/**
 * Scores `query` against documents `docs` (indices into `flat`, default all) and returns one
 * score per listed document, in order.
 *
 * @param docs - document numbers to score @defaultValue all
 * @example
 * ```ts
 * import { scoreFlatJs } from "@maxsim/core";
 * const flat = { data: new Float32Array([1, 0, 0, 1, 1, 0]), offsets: new Int32Array([0, 2, 3]), dim: 2 };
 * console.log([...scoreFlatJs({ data: new Float32Array([0.5, 1]), length: 1, dim: 2 }, flat, [1, 0])]); // [ 0.5, 1 ]
 * ```
 */
export function scoreFlatJs(query: TokenVectors, flat: FlatTokens, docs?: ArrayLike<number>): Float32Array {
  const n = docs ? docs.length : flat.offsets.length - 1;
  const out = new Float32Array(n);
  const dim = flat.dim;
  const qlen = query.length;
  const q = query.data;
  const d = flat.data;
  const offsets = flat.offsets;
  const best = new Float64Array(qlen);
  for (let x = 0; x < n; x++) {
    const doc = docs ? docs[x]! : x;
    best.fill(-Infinity);
    const end = offsets[doc + 1]!;
    for (let t = offsets[doc]!; t < end; t++) {
      const to = t * dim;
      for (let i = 0; i < qlen; i++) {
        const qo = i * dim;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let k = 0;
        for (; k + 3 < dim; k += 4) {
          s0 += q[qo + k]! * d[to + k]!;
          s1 += q[qo + k + 1]! * d[to + k + 1]!;
          s2 += q[qo + k + 2]! * d[to + k + 2]!;
          s3 += q[qo + k + 3]! * d[to + k + 3]!;
        }
        for (; k < dim; k++) s0 += q[qo + k]! * d[to + k]!;
        const s = s0 + s1 + s2 + s3;
        if (s > best[i]!) best[i] = s;
      }
    }
    let total = 0;
    for (let i = 0; i < qlen; i++) total += best[i]!;
    out[x] = total;
  }
  return out;
}
