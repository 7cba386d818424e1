/**
 * MaxSim (late interaction, Khattab & Zaharia, ColBERT 2020) for one query and one document:
 * score(q, d) = Σ_i max_j q_i · d_j. These are the reference definitions; the batch kernels in
 * `js-kernel.ts` and `ort-kernel.ts` must agree with them.
 */
import { MaxsimError } from "../errors.js";
import type { TokenVectors } from "../types.js";

/** One query token's best match in a document. */
export interface TokenMatchScore {
  /** Query token row. */
  queryIndex: number;
  /** Row of the document token with the highest dot product (the first on ties). */
  docIndex: number;
  /** That dot product: this query token's share of the MaxSim score. */
  score: number;
}

/**
 * The MaxSim score of `doc` for `query`: the sum over query tokens of the best dot product with
 * any document token.
 *
 * @param query - query token vectors
 * @param doc - document token vectors, same `dim`
 * @throws MaxsimError `DIM_MISMATCH` when the dimensions differ
 * @example
 * ```ts
 * import { maxsimScore } from "@maxsim/core";
 * const q = { data: new Float32Array([1, 0, 0, 1]), length: 2, dim: 2 };
 * const d = { data: new Float32Array([1, 0, 0.5, 0.5]), length: 2, dim: 2 };
 * // 1 from d[0] for q[0], 0.5 from d[1] for q[1]:
 * console.log(maxsimScore(q, d)); // 1.5
 * ```
 */
export function maxsimScore(query: TokenVectors, doc: TokenVectors): number {
  let total = 0;
  for (const m of maxsimExplain(query, doc)) total += m.score;
  return total;
}

/**
 * Per query token, the document token that wins its max and the dot product: what a highlight
 * shows. The scores sum to {@link maxsimScore}.
 *
 * @throws MaxsimError `DIM_MISMATCH` when the dimensions differ, `INVALID_VECTOR` for an empty document
 * @example
 * ```ts
 * import { maxsimExplain } from "@maxsim/core";
 * const q = { data: new Float32Array([1, 0, 0, 1]), length: 2, dim: 2 };
 * const d = { data: new Float32Array([1, 0, 0.5, 0.5]), length: 2, dim: 2 };
 * console.log(JSON.stringify(maxsimExplain(q, d))); // [{"queryIndex":0,"docIndex":0,"score":1},{"queryIndex":1,"docIndex":1,"score":0.5}]
 * ```
 */
export function maxsimExplain(query: TokenVectors, doc: TokenVectors): TokenMatchScore[] {
  if (query.dim !== doc.dim) {
    throw new MaxsimError("DIM_MISMATCH", `Query dim ${query.dim} differs from document dim ${doc.dim}. Encode both with the same model.`);
  }
  if (doc.length < 1) {
    throw new MaxsimError("INVALID_VECTOR", "The document has no token vectors. Every document needs at least one token.");
  }
  const dim = query.dim;
  const q = query.data;
  const d = doc.data;
  const out: TokenMatchScore[] = [];
  for (let i = 0; i < query.length; i++) {
    let best = -Infinity;
    let bestJ = 0;
    const qo = i * dim;
    for (let j = 0; j < doc.length; j++) {
      const s = dot(q, qo, d, j * dim, dim);
      if (s > best) {
        best = s;
        bestJ = j;
      }
    }
    out.push({ queryIndex: i, docIndex: bestJ, score: best });
  }
  return out;
}

/**
 * Every query token × document token dot product, row-major (`matrix[i * doc.length + j]` is
 * query token i against document token j): what a heatmap of one hit shows. Each row's maximum
 * is that query token's {@link maxsimExplain} score, so the row maxima sum to {@link maxsimScore}.
 *
 * @param query - query token vectors
 * @param doc - document token vectors, same `dim`
 * @returns `query.length × doc.length` similarities
 * @throws MaxsimError `DIM_MISMATCH` when the dimensions differ, `INVALID_VECTOR` for an empty document
 * @example
 * ```ts
 * import { maxsimMatrix } from "@maxsim/core";
 * const q = { data: new Float32Array([1, 0, 0, 1]), length: 2, dim: 2 };
 * const d = { data: new Float32Array([1, 0, 0.5, 0.5]), length: 2, dim: 2 };
 * console.log([...maxsimMatrix(q, d)]); // [1, 0.5, 0, 0.5]
 * ```
 */
export function maxsimMatrix(query: TokenVectors, doc: TokenVectors): Float32Array {
  if (query.dim !== doc.dim) {
    throw new MaxsimError("DIM_MISMATCH", `Query dim ${query.dim} differs from document dim ${doc.dim}. Encode both with the same model.`);
  }
  if (doc.length < 1) {
    throw new MaxsimError("INVALID_VECTOR", "The document has no token vectors. Every document needs at least one token.");
  }
  const dim = query.dim;
  const out = new Float32Array(query.length * doc.length);
  for (let i = 0; i < query.length; i++) {
    for (let j = 0; j < doc.length; j++) out[i * doc.length + j] = dot(query.data, i * dim, doc.data, j * dim, dim);
  }
  return out;
}

/** Dot product of two rows, accumulated left to right in float64 (the reference order). */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ao + k]! * b[bo + k]!;
  return s;
}
