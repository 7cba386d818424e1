/**
 * PLAID / ColBERTv2 residual compression (Santhanam et al., "ColBERTv2", 2022, §3), made
 * anisotropic in the spirit of ScaNN (Guo et al., "Accelerating Large-Scale Inference with
 * Anisotropic Vector Quantization", 2020): a token is stored as its nearest centroid id plus a
 * few bytes that say where it lies relative to that centroid.
 *
 * Why anisotropic: a query token that matches a document token points along the document token's
 * centroid, so the quantisation error along the centroid direction reaches MaxSim scores almost
 * undamped (weight ≈ cos² ≈ 0.7 on ColBERT-like data) while the error in the 127 orthogonal
 * directions only meets the query's own noise (weight ≈ 0.3, spread over all of them). ColBERTv2
 * quantises `x − c` per coordinate and so spends 1/128 of its bits, and takes 1/128 of its
 * error, along that most important direction. Here each token `x` is written in a frame where
 * its centroid `c` is the first axis — the Householder reflection `H` with `H·ĉ = ±e₁`, applied in
 * O(dim) per token — and:
 * - the coefficient along the centroid, `α = x·ĉ`, gets its own Lloyd-Max codebook (8 bits; 4 for
 *   `nbits` 4);
 * - the `dim − 1` orthogonal coordinates: for `nbits` 2 in triples, each the nearest of 128
 *   trained 3-D codewords (7 bits, 2.33 bits per coordinate; k-means started from the 5 × 5 × 5
 *   Lloyd-Max grid, which it beats by ≈ 16% in MSE — vector quantisation's space-filling and shape
 *   gain), a spare coordinate taking a 4-level code; one shared Lloyd-Max codebook of 16 levels
 *   (4 bits) for `nbits` 4, 256 levels for `nbits` 8.
 * Decoding is a per-group lookup table, one dot product and one axpy per token (no square roots).
 * Bytes per token (dim 128, plus the 2-byte centroid id): residual-2 38 + 2 = 40, residual-4
 * 64 + 2 = 66 (α then gets 4 bits: measured as good as 8 there), residual-8 128 + 2 = 130.
 *
 * Decode → encode is the identity (every decoded coordinate is a codebook value inside its own
 * bucket, every decoded triple a codeword nearest to itself, and `H` is its own inverse), up to
 * float rounding at bucket edges, so compaction can re-encode decoded vectors without drifting
 * (the bench checks it on 0.96 M tokens). Decoded vectors are not re-normalised.
 *
 * Measured (`bench/codec.ts`, 20k synthetic docs = 0.96 M tokens, noise 0.6, 4096 centroids,
 * exact MaxSim of 200 queries over decoded vectors, recall@10 against float32 (±0.005 from
 * sampling); bytes include the 2-byte centroid id; decode in M values/s; one run on a 2-core box
 * shared with other jobs, so speeds are ±15%):
 *
 * | scheme                                    | B/token | MSE/coord |   recall@10 |    decode |
 * |-------------------------------------------|--------:|----------:|------------:|----------:|
 * | ColBERTv2 scalar 2-bit (before v2)        |      34 |   3.40e-4 |       0.886 |   174 M/s |
 * | PQ on x − c, 32 × 256 codewords           |      34 |   2.49e-4 |       0.910 |           |
 * | anisotropic, 4-level orthogonal           |      35 |   2.59e-4 |       0.917 |   161 M/s |
 * | anisotropic, 5 × 5 × 5 grid               |      40 |   1.78e-4 |       0.924 |   180 M/s |
 * | **residual-2**: anisotropic, 3-D codebook |      40 |   1.49e-4 |       0.929 |   176 M/s |
 * | ideal Gaussian test channel at 40 B       |      40 |    8.5e-5 | 0.940–0.946 | (a bound) |
 * | anisotropic, 6 levels                     |      46 |   1.30e-4 |       0.941 |           |
 * | anisotropic, 8 levels                     |      51 |   7.75e-5 |       0.951 |           |
 * | ColBERTv2 scalar 4-bit (before v2)        |      66 |   5.95e-5 |       0.950 |   153 M/s |
 * | **residual-4**: anisotropic, 16 levels    |      66 |   2.44e-5 |       0.969 |   200 M/s |
 *
 * The synthetic tokens are normalize(concept + isotropic noise): beyond the centroid the
 * residual is Gaussian noise, for which D(R) = σ²·2^(−2R) is the exact MSE bound. An ideal
 * quantiser at the 40 B rate (the bench's Gaussian test-channel rows, α exact or not) reaches
 * recall 0.940–0.946, so 0.95 at ≤ 40 B is out of reach at noise 0.6 for any per-token
 * MSE-optimal code, not just for ours (it takes ≈ 51 B here); fixed-rate scalar codes sit
 * ≈ 3 dB (2× MSE) above the bound, the 3-D codebook ≈ 2.3 dB. At noise 0.45 / 0.3 (100
 * queries, ±0.007): residual-2 0.946 / 0.941 (5³ grid 0.927 / 0.927, ColBERTv2 2-bit at 34 B
 * 0.899 / 0.919), the 40 B bound 0.947–0.954 / 0.955–0.958, residual-4 0.974 / 0.966.
 * Real ColBERT residuals are anisotropic and less noisy; PLAID reports far smaller losses there.
 *
 * States written before this scheme (JSON without `version`) hold ColBERTv2's scalar codec —
 * `2^nbits` buckets with quantile cutoffs pooled over all coordinates of `x − c`, decoded to the
 * bucket's sample mean; they still load and decode exactly as before (`scheme: "scalar"`).
 *
 * One scheme per file under `residual/`, chosen through the {@link SCHEMES} record: `anisotropic.ts`
 * (with `householder.ts`, `vq-codebook.ts`, `lloyd-max.ts`) and `scalar.ts`.
 *
 * It lives in `index/` rather than the storage codec registry because encoding needs the
 * asynchronous ONNX Runtime nearest-centroid search, while registry codecs encode synchronously.
 */
import { MaxsimError } from "../errors.js";
import type { CentroidIds } from "./plaid.js";
import {
  anisotropicFromJson,
  anisotropicStateJson,
  decodeAnisotropic,
  defaultAlphaBits,
  defaultLevels,
  encodeAnisotropic,
  fitAnisotropic,
  layoutOf,
  type AnisotropicStateJson,
} from "./residual/anisotropic.js";
import type { ResidualDecoder, ResidualFitOptions, ResidualQuantizer, ResidualScheme } from "./residual/quantizer.js";
import { decodeScalar, encodeScalar, fitScalar, scalarBytes, scalarStateJson } from "./residual/scalar.js";

export type { ResidualDecoder, ResidualFitOptions, ResidualQuantizer, ResidualScheme } from "./residual/quantizer.js";

/** What each residual scheme provides. */
interface SchemeImpl {
  fit(vectors: Float32Array, codes: CentroidIds, centroids: Float32Array, dim: number, nbits: 2 | 4 | 8, options: ResidualFitOptions): ResidualQuantizer;
  encode(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array;
  decode: ResidualDecoder;
  stateJson(q: ResidualQuantizer): Record<string, unknown>;
}

/** The schemes, by name (a state without `scheme` is `scalar`). */
const SCHEMES: Record<ResidualScheme, SchemeImpl> = {
  scalar: { fit: fitScalar, encode: encodeScalar, decode: decodeScalar, stateJson: scalarStateJson },
  anisotropic: { fit: fitAnisotropic, encode: encodeAnisotropic, decode: decodeAnisotropic, stateJson: anisotropicStateJson },
};

function schemeOf(q: Pick<ResidualQuantizer, "scheme">): SchemeImpl {
  return SCHEMES[q.scheme ?? "scalar"];
}

/**
 * Bytes of packed residual per token (without the centroid id). A state without `scheme` (or a
 * bare `{ nbits, dim }`) is the scalar scheme of states written before v2.
 */
export function residualBytes(q: Pick<ResidualQuantizer, "nbits" | "dim"> & Partial<Pick<ResidualQuantizer, "scheme" | "levels" | "alphaBits">>): number {
  if (q.scheme !== "anisotropic") return scalarBytes(q);
  return layoutOf(q.dim, q.levels ?? defaultLevels(q.nbits), q.alphaBits ?? defaultAlphaBits(q.nbits)).bytes;
}

/**
 * Fits the quantiser on sample tokens: `vectors` (rows of `dim`) and `codes`, their nearest
 * centroid ids into `centroids` (unit-norm rows, as `trainKMeans` makes). A strided sample of a
 * few thousand tokens is plenty.
 *
 * @param nbits - 2 (40 bytes/token with the 2-byte id at dim 128), 4 (66) or 8 (130)
 * @throws MaxsimError `INVALID_OPTION` for an unsupported `nbits` or option
 */
export function fitResidualQuantizer(
  vectors: Float32Array,
  codes: CentroidIds,
  centroids: Float32Array,
  dim: number,
  nbits: number,
  options: ResidualFitOptions = {},
): ResidualQuantizer {
  if (nbits !== 2 && nbits !== 4 && nbits !== 8) {
    throw new MaxsimError("INVALID_OPTION", `Residual codec nbits must be 2, 4 or 8 (got ${nbits}). Use nbits: 2 for the smallest index, 4 for higher recall.`);
  }
  const scheme = SCHEMES[options.scheme ?? "anisotropic"];
  if (scheme === undefined)
    throw new MaxsimError("INVALID_OPTION", `Unknown residual scheme ${JSON.stringify(options.scheme)}. Use "anisotropic" (or "scalar").`);
  return scheme.fit(vectors, codes, centroids, dim, nbits, options);
}

/**
 * Packs the residuals of `rows` tokens (`data` rows, `codes` their centroid ids) into `out`
 * (`rows · residualBytes` bytes, allocated when absent). Bytes of `out` are overwritten
 * (anisotropic) or OR-ed into (scalar states: pass a zeroed `out`).
 */
export function encodeResiduals(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array {
  return schemeOf(q).encode(q, data, codes, centroids, out);
}

/** Decodes tokens `[from, to)` of packed residuals into rows `outRow`.. of `out`. */
export const decodeResiduals: ResidualDecoder = (q, packed, codes, centroids, from, to, out, outRow = 0) =>
  schemeOf(q).decode(q, packed, codes, centroids, from, to, out, outRow);

/**
 * Serialises a quantiser (JSON, small). Anisotropic states carry `version: 2`; scalar states are
 * written exactly as before v2.
 */
export function encodeResidualState(q: ResidualQuantizer): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(schemeOf(q).stateJson(q)));
}

/**
 * Parses {@link encodeResidualState} output, including states written before v2 (no `version`:
 * the scalar scheme).
 *
 * @throws MaxsimError `INDEX_VERSION` for a state from a newer version, `INDEX_CORRUPT` for a malformed one
 */
export function decodeResidualState(bytes: Uint8Array): ResidualQuantizer {
  const o = JSON.parse(new TextDecoder().decode(bytes)) as Partial<AnisotropicStateJson> & {
    nbits: 2 | 4 | 8;
    dim: number;
    cutoffs?: number[];
    weights: number[];
  };
  if (o.version === undefined) {
    return { nbits: o.nbits, dim: o.dim, cutoffs: Float32Array.from(o.cutoffs ?? []), weights: Float32Array.from(o.weights) };
  }
  return anisotropicFromJson(o as AnisotropicStateJson);
}
