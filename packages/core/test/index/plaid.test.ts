import { describe, expect, it } from "vitest";
import { CentroidIndex, centroidInteraction, nthLargest } from "../../src/index/plaid.js";
import { seededRandom } from "../../src/index/synthetic.js";

describe("nthLargest", () => {
  it("equals sorting, with many ties", () => {
    const r = seededRandom(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(r() * 200);
      const v = Float32Array.from({ length: n }, () => Math.floor(r() * 20));
      const sorted = [...v].sort((a, b) => b - a);
      const k = 1 + Math.floor(r() * n);
      expect(nthLargest(v.slice(), k)).toBe(sorted[k - 1]);
    }
  });
});

describe("CentroidIndex", () => {
  it("probes the nearest centroids and scores candidates by pruned centroid interaction", () => {
    // Four axis centroids in 4-d; documents hold tokens at given centroids.
    const c = new Float32Array(16);
    for (let i = 0; i < 4; i++) c[i * 4 + i] = 1;
    const index = new CentroidIndex(c, 4);
    index.addDocument(0, Int32Array.from([0, 0, 1])); // centroids 0 and 1
    index.addDocument(1, Int32Array.from([2]));
    index.addDocument(2, Int32Array.from([0, 3]));
    const probe = index.probe(Float32Array.from([0.8, 0.6, 0, 0]), 2);
    expect(probe.ids).toEqual([0, 1]);
    expect(probe.sims[0]).toBeCloseTo(0.8, 5);
    // One query token near centroid 0 (then 1): doc 0 and doc 2 hold centroid 0 (credit 0.8),
    // doc 1 holds neither probed centroid. A second token near centroid 1 credits only doc 0.
    const q = { data: Float32Array.from([0.8, 0.6, 0, 0, 0, 1, 0, 0]), length: 2, dim: 4 };
    expect([...index.candidates(q, 3, 2, 10, () => true)]).toEqual([0, 2]);
    expect([...index.candidates(q, 3, 2, 1, () => true)]).toEqual([0]);
    expect([...index.candidates(q, 3, 2, 10, (s) => s !== 0)]).toEqual([2]);
  });
});

describe("centroidInteraction", () => {
  it("sums, per query token, the best similarity among a document's centroids", async () => {
    const c = new Float32Array(16);
    for (let i = 0; i < 4; i++) c[i * 4 + i] = 1;
    const index = new CentroidIndex(c, 4);
    const q = { data: Float32Array.from([0.8, 0.6, 0, 0, 0, 0, 1, 0]), length: 2, dim: 4 };
    const sims = await index.centroidSimilarities(q); // [4 centroids, 2 query tokens]
    expect([...sims].map((x) => Math.round(x * 10) / 10)).toEqual([0.8, 0, 0.6, 0, 0, 1, 0, 0]);
    // doc 0: tokens at centroids 0, 1 → 0.8 + 0; doc 1: centroids 1, 2 → 0.6 + 1.
    const codes = Int32Array.from([0, 1, 1, 2]);
    const offsets = Int32Array.from([0, 2, 4]);
    const scores = centroidInteraction(sims, 2, Int32Array.from([1, 0]), offsets, codes);
    expect(scores[0]).toBeCloseTo(1.6, 5);
    expect(scores[1]).toBeCloseTo(0.8, 5);
  });
});
