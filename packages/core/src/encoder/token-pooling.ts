/**
 * Hierarchical token pooling of document vectors, as PyLate's `pool_embeddings_hierarchical`
 * (Clavié et al., "Reducing the Footprint of Multi-Vector Retrieval with Minimal Performance
 * Impact via Token Pooling", 2024): the first `protectedTokens` rows are kept as they are; the
 * other `n` rows are clustered by Ward linkage over the cosine distance `1 − a·b` (the rows are
 * L2-normalised) and cut into `max(⌊n / poolFactor⌋, 1)` clusters (scipy's `maxclust`, which
 * may leave fewer at tied heights); each cluster becomes the mean of its rows, in scipy's
 * cluster order, after the protected rows. Means are not re-normalised (PyLate does not
 * either). When the cut would not reduce anything (`⌊n / f⌋ ≥ n`) the rows are returned
 * unchanged. Pool factor 2 roughly halves the stored vectors; the paper reports almost no loss.
 */
import { MaxsimError } from "../errors.js";
import type { TokenEmbeddings } from "../types.js";
import { maxClusters, wardLinkage } from "./ward-clusters.js";

/** Longest document {@link poolTokens} pools: Ward linkage holds n² / 2 distances (8,192 tokens: 268 MB). */
export const MAX_POOLED_TOKENS = 8192;

/** Document-side token pooling settings (what a pooled collection records in its manifest). */
export interface TokenPooling {
  /** Keep about 1 vector per `poolFactor` tokens; 1 = no pooling. */
  poolFactor: number;
  /** Leading rows never pooled (PyLate protects the first, the `[CLS]`/BOS token). @defaultValue 1 */
  protectedTokens?: number;
}

/** Throws `INVALID_OPTION` unless `poolFactor` is a positive integer and `protectedTokens` a non-negative one. */
export function checkPooling(poolFactor: unknown, protectedTokens: unknown): void {
  if (typeof poolFactor !== "number" || !Number.isInteger(poolFactor) || poolFactor < 1) {
    throw new MaxsimError(
      "INVALID_OPTION",
      `poolFactor must be a positive integer (1 = no pooling, 2 halves the document vectors), got ${String(poolFactor)}.`,
    );
  }
  if (typeof protectedTokens !== "number" || !Number.isInteger(protectedTokens) || protectedTokens < 0) {
    throw new MaxsimError("INVALID_OPTION", `protectedTokens must be a non-negative integer (the leading rows kept unpooled), got ${String(protectedTokens)}.`);
  }
}

/**
 * Pools one document's token vectors (see the module header). A pooled row's `tokenIds` entry is
 * the id of the cluster's first token.
 *
 * @param doc - L2-normalised token vectors of one document
 * @param poolFactor - keep about one vector per `poolFactor` tokens (1 returns `doc` itself)
 * @param protectedTokens - leading rows kept as they are
 * @defaultValue protectedTokens 1
 * @throws MaxsimError `INVALID_OPTION` for a pool factor below 1 or a non-integer
 * @example
 * ```ts
 * import { poolTokens } from "@maxsim/core";
 * // [CLS], then three nearby directions and one far one: 4 rows to pool → 2 clusters
 * const rows = [[1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6], [1, 0]];
 * const doc = { data: Float32Array.from(rows.flat()), length: 5, dim: 2, tokenIds: Int32Array.from([101, 7, 8, 9, 10]) };
 * const pooled = poolTokens(doc, 2);
 * console.log(pooled.length, Array.from(pooled.tokenIds)); // 3 [ 101, 7, 10 ]
 * ```
 */
export function poolTokens(doc: TokenEmbeddings, poolFactor: number, protectedTokens = 1): TokenEmbeddings {
  checkPooling(poolFactor, protectedTokens);
  const { dim } = doc;
  const kept = Math.min(protectedTokens, doc.length);
  const n = doc.length - kept;
  const k = Math.max(Math.floor(n / poolFactor), 1);
  if (poolFactor === 1 || k >= n) return doc;
  if (n > MAX_POOLED_TOKENS) {
    throw new MaxsimError(
      "INVALID_INPUT",
      `Token pooling got a document of ${doc.length} tokens; it pools at most ${MAX_POOLED_TOKENS} (its pairwise distances take n² / 2 numbers: ${Math.round((n * n * 4) / 1e6)} MB here). Chunk long documents, lower documentLength, or use poolFactor 1.`,
    );
  }
  const rows = doc.data.subarray(kept * dim, doc.length * dim);
  // Condensed cosine distances, computed in float32 as PyLate's torch.mm and `1 − sim` are.
  const dist = new Float64Array((n * (n - 1)) / 2);
  let w = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += rows[i * dim + c]! * rows[j * dim + c]!;
      dist[w++] = Math.fround(1 - Math.fround(dot));
    }
  }
  const labels = maxClusters(wardLinkage(dist, n), n, k);
  let clusters = 0;
  for (const l of labels) clusters = Math.max(clusters, l);
  const sums = new Float64Array(clusters * dim);
  const counts = new Int32Array(clusters);
  const firstToken = new Int32Array(clusters).fill(-1);
  for (let i = 0; i < n; i++) {
    const c = labels[i]! - 1;
    counts[c]!++;
    if (firstToken[c] === -1) firstToken[c] = doc.tokenIds[kept + i]!;
    for (let d = 0; d < dim; d++) sums[c * dim + d]! += rows[i * dim + d]!;
  }
  const length = kept + clusters;
  const data = new Float32Array(length * dim);
  data.set(doc.data.subarray(0, kept * dim));
  const tokenIds = new Int32Array(length);
  tokenIds.set(doc.tokenIds.subarray(0, kept));
  for (let c = 0; c < clusters; c++) {
    for (let d = 0; d < dim; d++) data[(kept + c) * dim + d] = sums[c * dim + d]! / counts[c]!;
    tokenIds[kept + c] = firstToken[c]!;
  }
  return { data, length, dim, tokenIds };
}
