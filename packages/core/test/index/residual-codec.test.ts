import { describe, expect, it } from "vitest";
import { assignNearest, trainKMeans } from "../../src/index/kmeans.js";
import {
  decodeResidualState,
  decodeResiduals,
  encodeResidualState,
  encodeResiduals,
  fitResidualQuantizer,
  residualBytes,
} from "../../src/index/residual-codec.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";

const corpus = syntheticCorpus({ docs: 200, dim: 64, docLength: [8, 24], concepts: 128, seed: 11 });
const dim = corpus.dim;
const tokens = corpus.offsets[200]!;

function cosine(a: Float32Array, ao: number, b: Float32Array, bo: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 0; d < dim; d++) {
    ab += a[ao + d]! * b[bo + d]!;
    aa += a[ao + d]! ** 2;
    bb += b[bo + d]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe("k-means", () => {
  it("is deterministic for a seed and assigns every token to its nearest centroid", async () => {
    const a = await trainKMeans(corpus.data, dim, { k: 32, seed: 5 });
    const b = await trainKMeans(corpus.data, dim, { k: 32, seed: 5 });
    expect(a).toEqual(b);
    const { codes, sims } = await assignNearest(corpus.data.subarray(0, 50 * dim), dim, a);
    for (let t = 0; t < 50; t++) {
      let best = -Infinity;
      for (let c = 0; c < 32; c++) best = Math.max(best, cosine(corpus.data, t * dim, a, c * dim));
      expect(sims[t]).toBeCloseTo(best, 4);
      expect(cosine(corpus.data, t * dim, a, codes[t]! * dim)).toBeCloseTo(best, 4);
    }
  });
});

describe("residual codec", () => {
  it.each([
    [2, 0.9],
    [4, 0.97],
  ] as const)("nbits %i round-trips with mean cosine ≥ %f, and decode→encode is the identity", async (nbits, minCos) => {
    const centroids = await trainKMeans(corpus.data, dim, { k: 64, seed: 1 });
    const { codes } = await assignNearest(corpus.data, dim, centroids);
    const q = fitResidualQuantizer(corpus.data, codes, centroids, dim, nbits);
    expect(decodeResidualState(encodeResidualState(q))).toEqual(q);
    const packed = encodeResiduals(q, corpus.data, codes, centroids);
    expect(packed.length).toBe(tokens * residualBytes(q));
    expect(residualBytes(q)).toBe((dim * nbits) / 8);
    const decoded = decodeResiduals(q, packed, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    let sum = 0;
    for (let t = 0; t < tokens; t++) sum += cosine(corpus.data, t * dim, decoded, t * dim);
    expect(sum / tokens).toBeGreaterThanOrEqual(minCos);
    expect(encodeResiduals(q, decoded, codes, centroids)).toEqual(packed);
  });

  it("rejects unsupported nbits", () => {
    expect(() => fitResidualQuantizer(new Float32Array(8), new Int32Array(2), new Float32Array(4), 4, 3)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});
