import { describe, expect, it } from "vitest";
import { assignNearest, trainKMeans } from "../../src/index/kmeans.js";
import {
  decodeResidualState,
  decodeResiduals,
  encodeResidualState,
  encodeResiduals,
  fitResidualQuantizer,
  residualBytes,
  type ResidualQuantizer,
} from "../../src/index/residual-codec.js";
import { seededRandom, syntheticCorpus } from "../../src/index/synthetic.js";

const corpus = syntheticCorpus({ docs: 200, dim: 64, docLength: [8, 24], concepts: 128, seed: 11 });
const dim = corpus.dim;
const tokens = corpus.offsets[200]!;

function cosine(a: Float32Array, ao: number, b: Float32Array, bo: number, n = dim): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 0; d < n; d++) {
    ab += a[ao + d]! * b[bo + d]!;
    aa += a[ao + d]! ** 2;
    bb += b[bo + d]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function meanCosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let t = 0; t < tokens; t++) sum += cosine(a, t * dim, b, t * dim);
  return sum / tokens;
}

const trained = (async () => {
  const centroids = await trainKMeans(corpus.data, dim, { k: 64, seed: 1 });
  const { codes } = await assignNearest(corpus.data, dim, centroids);
  return { centroids, codes };
})();

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

describe("residual codec (anisotropic, the default)", () => {
  it.each([
    // dim 64: α byte + 21 groups of three 5-level coordinates (7 bits) = 155 bits; 63 nibbles + 4-bit α; 63 bytes + α byte.
    [2, 20, 0.97],
    [4, 32, 0.995],
    [8, 64, 0.9999],
  ] as const)("nbits %i packs %i bytes/token and round-trips with mean cosine ≥ %f; decode→encode is the identity", async (nbits, bytes, minCos) => {
    const { centroids, codes } = await trained;
    const q = fitResidualQuantizer(corpus.data, codes, centroids, dim, nbits);
    expect(q.scheme).toBe("anisotropic");
    expect(decodeResidualState(encodeResidualState(q))).toEqual(q);
    expect(residualBytes(q)).toBe(bytes);
    const packed = encodeResiduals(q, corpus.data, codes, centroids);
    expect(packed.length).toBe(tokens * bytes);
    const decoded = decodeResiduals(q, packed, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    expect(meanCosine(corpus.data, decoded)).toBeGreaterThanOrEqual(minCos);
    const again = encodeResiduals(q, decoded, codes, centroids);
    let changed = 0;
    for (let i = 0; i < packed.length; i++) if (again[i] !== packed[i]) changed++;
    expect(changed).toBeLessThanOrEqual(Math.ceil(packed.length * 1e-4)); // float rounding at a bucket edge at most
    // A second round does not drift.
    const twice = decodeResiduals(q, again, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    expect(Math.abs(meanCosine(corpus.data, twice) - meanCosine(corpus.data, decoded))).toBeLessThan(1e-5);
  });

  it("trades bytes for error across all supported levels (4, 5, 128 = 3-D codebook, 6, 8, 16, 256), every layout decoding what it encoded", async () => {
    const { centroids, codes } = await trained;
    const errors: number[] = [];
    for (const levels of [4, 5, 128, 6, 8, 16, 256] as const) {
      const q = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2, { levels, alphaBits: 5 });
      const packed = encodeResiduals(q, corpus.data, codes, centroids);
      expect(packed.length).toBe(tokens * residualBytes(q));
      const decoded = decodeResiduals(q, packed, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
      expect(encodeResiduals(q, decoded, codes, centroids)).toEqual(packed);
      let se = 0;
      for (let i = 0; i < decoded.length; i++) se += (decoded[i]! - corpus.data[i]!) ** 2;
      errors.push(se);
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
  });

  it("levels 128 (3-D vector codebook) takes the bytes of 5 levels, errs less, and encodes to the nearest codeword", async () => {
    const { centroids, codes } = await trained;
    const sse = (q: ResidualQuantizer): number => {
      const decoded = decodeResiduals(q, encodeResiduals(q, corpus.data, codes, centroids), codes, centroids, 0, tokens, new Float32Array(tokens * dim));
      let e = 0;
      for (let i = 0; i < decoded.length; i++) e += (decoded[i]! - corpus.data[i]!) ** 2;
      return e;
    };
    const grid = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2, { levels: 5 });
    const vq = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2, { levels: 128 });
    expect(residualBytes(vq)).toBe(residualBytes(grid));
    expect(decodeResidualState(encodeResidualState(vq))).toEqual(vq);
    expect(sse(vq)).toBeLessThan(sse(grid) * 0.95);
    // With the centroid e₀ the orthogonal coordinates of x are x₁..x₃ themselves: the decoded ones
    // must be the codeword nearest to them (brute force), including points far outside the codebook.
    const rows = 3000;
    const x = new Float32Array(rows * 4);
    const random = seededRandom(3);
    for (let t = 0; t < rows; t++) {
      x[t * 4] = 0.9;
      for (let d = 1; d < 4; d++) x[t * 4 + d] = (random() - 0.5) * (t < 2500 ? 0.3 : 2);
    }
    const e0 = new Float32Array([1, 0, 0, 0]);
    const zeros = new Int32Array(rows);
    const q4 = fitResidualQuantizer(x.subarray(0, 2500 * 4), zeros.subarray(0, 2500), e0, 4, 2, { levels: 128 });
    const back = decodeResiduals(q4, encodeResiduals(q4, x, zeros, e0), zeros, e0, 0, rows, new Float32Array(rows * 4));
    const book = q4.weights;
    for (let t = 0; t < rows; t++) {
      let best = Infinity;
      let arg = 0;
      for (let c = 0; c < 128; c++) {
        const dist = (x[t * 4 + 1]! - book[c * 3]!) ** 2 + (x[t * 4 + 2]! - book[c * 3 + 1]!) ** 2 + (x[t * 4 + 3]! - book[c * 3 + 2]!) ** 2;
        if (dist < best) {
          best = dist;
          arg = c;
        }
      }
      for (let j = 0; j < 3; j++) expect(back[t * 4 + 1 + j]).toBeCloseTo(book[arg * 3 + j]!, 5);
    }
  });

  it("keeps the coefficient along the centroid far more precisely than the orthogonal coordinates", async () => {
    const { centroids, codes } = await trained;
    const q = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2);
    const decoded = decodeResiduals(q, encodeResiduals(q, corpus.data, codes, centroids), codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    let parallel = 0;
    let total = 0;
    for (let t = 0; t < tokens; t++) {
      const co = codes[t]! * dim;
      let cc = 0;
      let ce = 0;
      for (let d = 0; d < dim; d++) {
        const e = decoded[t * dim + d]! - corpus.data[t * dim + d]!;
        cc += centroids[co + d]! ** 2;
        ce += centroids[co + d]! * e;
        total += e * e;
      }
      parallel += (ce * ce) / cc;
    }
    const perOrthogonal = (total - parallel) / (tokens * (dim - 1));
    expect(parallel / tokens).toBeLessThan(perOrthogonal / 20);
  });

  it("reconstructs exactly representable tokens near exactly, for centroids on either side of the first axis", () => {
    // Centroids ±e₀ (the reflection's degenerate directions) and a generic one; tokens are the centroids themselves.
    const d4 = 4;
    const s = Math.SQRT1_2;
    const centroids = new Float32Array([1, 0, 0, 0, -1, 0, 0, 0, 0, s, 0, s]);
    const vectors = new Float32Array([1, 0, 0, 0, -1, 0, 0, 0, 0, s, 0, s, 0.8, 0.6, 0, 0]);
    const codes = new Int32Array([0, 1, 2, 0]);
    const q = fitResidualQuantizer(vectors, codes, centroids, d4, 8);
    const back = decodeResiduals(q, encodeResiduals(q, vectors, codes, centroids), codes, centroids, 0, 4, new Float32Array(16));
    for (let i = 0; i < 16; i++) expect(back[i]).toBeCloseTo(vectors[i]!, 2);
  });

  it("decodes a row range into an output offset", async () => {
    const { centroids, codes } = await trained;
    const q = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2);
    const packed = encodeResiduals(q, corpus.data, codes, centroids);
    const all = decodeResiduals(q, packed, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    const part = decodeResiduals(q, packed, codes, centroids, 10, 20, new Float32Array(12 * dim), 2);
    expect(part.subarray(2 * dim)).toEqual(all.subarray(10 * dim, 20 * dim));
  });

  it("stays within the 40 bytes/token budget at dim 128 with 2 bits (with the 2-byte centroid id)", () => {
    expect(residualBytes({ nbits: 2, dim: 128, scheme: "anisotropic", levels: 5, alphaBits: 8 }) + 2).toBe(40);
    expect(residualBytes({ nbits: 4, dim: 128, scheme: "anisotropic", levels: 16, alphaBits: 4 }) + 2).toBe(66);
  });
});

describe("residual codec (scalar states written before v2)", () => {
  it("decodes a state without a version exactly as before: centroid + bucket weight", () => {
    // As written by the v1 codec: JSON with nbits, dim, cutoffs, weights and nothing else.
    const state = new TextEncoder().encode(JSON.stringify({ nbits: 2, dim: 4, cutoffs: [-0.2, 0, 0.2], weights: [-0.3, -0.1, 0.1, 0.3] }));
    const q = decodeResidualState(state);
    expect(q.scheme).toBeUndefined();
    expect(residualBytes(q)).toBe(1);
    const centroids = new Float32Array([0.5, 0.5, 0.5, 0.5]);
    // One byte, 2-bit codes low bits first: buckets 0, 1, 2, 3.
    const packed = new Uint8Array([0b11100100]);
    const out = decodeResiduals(q, packed, new Int32Array([0]), centroids, 0, 1, new Float32Array(4));
    expect([...out]).toEqual([-0.3, -0.1, 0.1, 0.3].map((w) => Math.fround(0.5 + Math.fround(w))));
    expect(encodeResiduals(q, out, new Int32Array([0]), centroids)).toEqual(packed);
    // Re-serialised as v1 (no version field), so older readers keep reading it.
    expect(Object.keys(JSON.parse(new TextDecoder().decode(encodeResidualState(q))) as object)).toEqual(["nbits", "dim", "cutoffs", "weights"]);
  });

  it("still fits on request (scheme: scalar) and round-trips with decode→encode the identity", async () => {
    const { centroids, codes } = await trained;
    const q: ResidualQuantizer = fitResidualQuantizer(corpus.data, codes, centroids, dim, 2, { scheme: "scalar" });
    expect(residualBytes(q)).toBe((dim * 2) / 8);
    expect(decodeResidualState(encodeResidualState(q))).toEqual(q);
    const packed = encodeResiduals(q, corpus.data, codes, centroids);
    const decoded = decodeResiduals(q, packed, codes, centroids, 0, tokens, new Float32Array(tokens * dim));
    expect(meanCosine(corpus.data, decoded)).toBeGreaterThanOrEqual(0.9);
    expect(encodeResiduals(q, decoded, codes, centroids)).toEqual(packed);
  });
});

describe("residual codec errors", () => {
  it("rejects unsupported nbits and options", () => {
    expect(() => fitResidualQuantizer(new Float32Array(8), new Int32Array(2), new Float32Array(4), 4, 3)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => fitResidualQuantizer(new Float32Array(8), new Int32Array(2), new Float32Array(4), 4, 2, { alphaBits: 9 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });

  it("rejects states from a newer version and malformed states", () => {
    const future = new TextEncoder().encode(JSON.stringify({ version: 3, scheme: "anisotropic", nbits: 2, dim: 4, weights: [] }));
    expect(() => decodeResidualState(future)).toThrow(expect.objectContaining({ code: "INDEX_VERSION" }));
    const bad = new TextEncoder().encode(
      JSON.stringify({ version: 2, scheme: "anisotropic", nbits: 2, dim: 4, levels: 5, alphaBits: 8, weights: [0, 1], alphaWeights: [] }),
    );
    expect(() => decodeResidualState(bad)).toThrow(expect.objectContaining({ code: "INDEX_CORRUPT" }));
  });
});
