import { describe, expect, it } from "vitest";
import { CentroidIndex, HNSW_MIN_CENTROIDS, centroidInteraction, nthLargest, resolveCentroidProber, topColumn, topColumns } from "../../src/index/plaid.js";
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

// Both probers run here: the repository approves hnswlib-node's build (onlyBuiltDependencies), so
// a missing addon is a failure of this test, not a skip.
describe.each(["exact", "hnsw"] as const)("CentroidIndex with the %s prober", (prober) => {
  it("probes the nearest centroids and scores candidates by pruned centroid interaction", async () => {
    // Four axis centroids in 4-d; documents hold tokens at given centroids.
    const c = new Float32Array(16);
    for (let i = 0; i < 4; i++) c[i * 4 + i] = 1;
    const index = new CentroidIndex(c, 4, prober);
    expect(index.prober).toBe(prober);
    index.addDocument(0, Int32Array.from([0, 0, 1])); // centroids 0 and 1
    index.addDocument(1, Int32Array.from([2]));
    index.addDocument(2, Int32Array.from([0, 3]));
    const one = { data: Float32Array.from([0.8, 0.6, 0, 0]), length: 1, dim: 4 };
    const probe = index.probe(one, 0, 2, prober === "exact" ? await index.centroidSimilarities(one) : null);
    expect(probe.ids).toEqual([0, 1]);
    expect(probe.sims[0]).toBeCloseTo(0.8, 5);
    // One query token near centroid 0 (then 1): doc 0 and doc 2 hold centroid 0 (credit 0.8),
    // doc 1 holds neither probed centroid. A second token near centroid 1 credits only doc 0.
    const q = { data: Float32Array.from([0.8, 0.6, 0, 0, 0, 1, 0, 0]), length: 2, dim: 4 };
    const sims = await index.centroidSimilarities(q);
    expect([...index.candidates(q, 3, 2, 10, () => true, sims)]).toEqual([0, 2]);
    expect([...index.candidates(q, 3, 2, 1, () => true, sims)]).toEqual([0]);
    expect([...index.candidates(q, 3, 2, 10, (s) => s !== 0, sims)]).toEqual([2]);
  });
});

describe("exact and HNSW centroid probing", () => {
  it("exact probing returns the true nearest centroids; HNSW finds a subset of them", async () => {
    const r = seededRandom(11);
    const k = 2048;
    const dim = 32;
    const c = new Float32Array(k * dim);
    for (let i = 0; i < c.length; i++) c[i] = r() - 0.5;
    const q = { data: Float32Array.from({ length: 16 * dim }, () => r() - 0.5), length: 16, dim };
    const exact = new CentroidIndex(c, dim, "exact");
    const hnsw = new CentroidIndex(c, dim, "hnsw");
    const sims = await exact.centroidSimilarities(q);
    let hnswHits = 0;
    for (let i = 0; i < q.length; i++) {
      // Brute force in JS, independent of the ORT product.
      const truth = Array.from({ length: k }, (_, id) => {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += c[id * dim + d]! * q.data[i * dim + d]!;
        return { id, dot };
      })
        .sort((a, b) => b.dot - a.dot || a.id - b.id)
        .slice(0, 8)
        .map((t) => t.id);
      expect(exact.probe(q, i, 8, sims).ids).toEqual(truth);
      const found = hnsw.probe(q, i, 8, null).ids;
      for (const id of found) if (truth.includes(id)) hnswHits += 1;
    }
    // Recall of exact probing is 1 by construction; HNSW's is at most that (and close to it).
    expect(hnswHits).toBeLessThanOrEqual(16 * 8);
    expect(hnswHits).toBeGreaterThan(16 * 8 * 0.8);
  });

  it("auto picks exact below HNSW_MIN_CENTROIDS, and an unknown choice is a typed error", () => {
    expect(resolveCentroidProber(HNSW_MIN_CENTROIDS - 1, "auto")).toBe("exact");
    expect(resolveCentroidProber(HNSW_MIN_CENTROIDS, "auto")).toBe("hnsw"); // the addon is built in this repo
    expect(resolveCentroidProber(HNSW_MIN_CENTROIDS, "exact")).toBe("exact");
    expect(() => resolveCentroidProber(10, "fast" as "auto")).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("topColumn equals sorting a column, ties to the lower id", () => {
    const r = seededRandom(5);
    for (let trial = 0; trial < 100; trial++) {
      const k = 1 + Math.floor(r() * 60);
      const m = 1 + Math.floor(r() * 4);
      const sims = Float32Array.from({ length: k * m }, () => Math.floor(r() * 10));
      const i = Math.floor(r() * m);
      const n = 1 + Math.floor(r() * k);
      const expected = Array.from({ length: k }, (_, id) => ({ id, v: sims[id * m + i]! }))
        .sort((a, b) => b.v - a.v || a.id - b.id)
        .slice(0, n);
      expect(topColumn(sims, k, m, i, n)).toEqual({ ids: expected.map((e) => e.id), sims: expected.map((e) => e.v) });
    }
  });

  it("topColumns answers every column as topColumn does, in one pass", () => {
    const r = seededRandom(6);
    for (let trial = 0; trial < 100; trial++) {
      const k = 1 + Math.floor(r() * 80);
      const m = 1 + Math.floor(r() * 6);
      const n = 1 + Math.floor(r() * Math.min(k, 9));
      const sims = Float32Array.from({ length: k * m }, () => Math.floor(r() * 10) - 5);
      expect(topColumns(sims, k, m, n)).toEqual(Array.from({ length: m }, (_, i) => topColumn(sims, k, m, i, n)));
    }
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

describe("CentroidIndex.candidates order", () => {
  it("unordered returns the same set as ordered, which is best first by pruned score, lower slots first on ties", async () => {
    const r = seededRandom(21);
    const k = 64;
    const dim = 8;
    const c = Float32Array.from({ length: k * dim }, () => r() - 0.5);
    const index = new CentroidIndex(c, dim, "exact");
    const slots = 3000;
    const docCodes: Int32Array[] = [];
    for (let s = 0; s < slots; s++) {
      docCodes.push(Int32Array.from({ length: 6 }, () => Math.floor(r() * k)));
      index.addDocument(s, docCodes[s]!);
    }
    const q = { data: Float32Array.from({ length: 4 * dim }, () => r() - 0.5), length: 4, dim };
    const sims = await index.centroidSimilarities(q);
    // The pruned score, from the documents' codes: per query token, its best probed centroid held.
    const probes = Array.from({ length: q.length }, (_, i) => index.probe(q, i, 4, sims));
    const score = (slot: number) =>
      probes.reduce((total, p) => {
        const held = p.ids.map((id, x) => (docCodes[slot]!.includes(id) ? p.sims[x]! : -Infinity));
        return total + Math.max(0, ...held.filter((v) => v !== -Infinity));
      }, 0);
    for (const want of [50, 400, 5000]) {
      const accept = (s: number) => s % 5 !== 0;
      const ordered = index.candidates(q, slots, 4, want, accept, sims);
      const unordered = index.candidates(q, slots, 4, want, accept, sims, false);
      expect([...unordered].sort((a, b) => a - b)).toEqual([...ordered].sort((a, b) => a - b));
      expect(ordered.length).toBeLessThanOrEqual(want);
      expect([...ordered].every(accept)).toBe(true);
      for (let x = 1; x < ordered.length; x++) {
        const [a, b] = [score(ordered[x - 1]!), score(ordered[x]!)];
        expect(a >= b - 1e-5, `${ordered[x - 1]} before ${ordered[x]}`).toBe(true);
        if (Math.abs(a - b) < 1e-6) expect(ordered[x - 1]!).toBeLessThan(ordered[x]!);
      }
    }
  });
});

describe("CentroidIndex.otherHolder", () => {
  it("draws another document holding the centroid, from the built lists and from documents added since, or −1", () => {
    const c = new Float32Array(12);
    for (let i = 0; i < 3; i++) c[i * 4 + i] = 1;
    const index = new CentroidIndex(c, 4, "exact");
    index.buildLists(Int32Array.from([0, 1, 1, 2]), Int32Array.from([0, 2, 3, 4]), 3); // slot 0: {0, 1}, 1: {1}, 2: {2}
    index.addDocument(3, Int32Array.from([1])); // in the tail
    const r = seededRandom(4);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const h = index.otherHolder(1, 0, r);
      expect([1, 3]).toContain(h);
      seen.add(h);
    }
    expect(seen).toEqual(new Set([1, 3]));
    expect(index.otherHolder(2, 2, r)).toBe(-1); // only the document itself holds centroid 2
    expect(index.otherHolder(0, 1, r)).toBe(0);
  });
});
