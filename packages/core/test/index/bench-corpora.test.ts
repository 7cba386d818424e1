// The bench corpus family: deterministic, unit-norm, shaped as each family promises.
import { describe, expect, it } from "vitest";
import { BENCH_FAMILY_NAMES, benchCorpus } from "../../src/index/bench-corpora/index.js";
import { maxsimScore } from "../../src/scoring/maxsim.js";
import type { TokenVectors } from "../../src/types.js";

const dim = 32;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const row = (v: TokenVectors, i: number): Float32Array => v.data.subarray(i * v.dim, (i + 1) * v.dim);
const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("bench corpora", () => {
  it("has at least five families besides the concept mix, each deterministic with unit rows", () => {
    expect(BENCH_FAMILY_NAMES.length).toBeGreaterThanOrEqual(6);
    for (const family of BENCH_FAMILY_NAMES) {
      const a = benchCorpus(family, { docs: 60, dim, seed: 5 });
      const b = benchCorpus(family, { docs: 60, dim, seed: 5 });
      expect(a.ids.length).toBe(60);
      expect(a.offsets.length).toBe(61);
      expect(Array.from(a.data.subarray(0, 64))).toEqual(Array.from(b.data.subarray(0, 64)));
      const doc = a.doc(7);
      for (let t = 0; t < doc.length; t++) expect(Math.abs(dot(row(doc, t), row(doc, t)) - 1)).toBeLessThan(1e-4);
      const [q1] = a.queries(1, 32, 9);
      const [q2] = b.queries(1, 32, 9);
      expect(q1!.length).toBe(32);
      expect(Array.from(q1!.data)).toEqual(Array.from(q2!.data));
    }
  });

  it("long and short documents have the promised lengths", () => {
    const lens = (family: "long" | "short") => {
      const c = benchCorpus(family, { docs: 40, dim, seed: 1 });
      return Array.from({ length: 40 }, (_, i) => c.offsets[i + 1]! - c.offsets[i]!);
    };
    expect(Math.min(...lens("long"))).toBeGreaterThanOrEqual(256);
    expect(Math.max(...lens("long"))).toBeLessThanOrEqual(512);
    expect(Math.min(...lens("short"))).toBeGreaterThanOrEqual(4);
    expect(Math.max(...lens("short"))).toBeLessThanOrEqual(16);
  });

  it("ColBERT-shaped families are anisotropic, the concept mix is not", () => {
    // Mean cosine between tokens of different documents: near 0 for isotropic vectors.
    const spread = (family: "concepts" | "zipfian") => {
      const c = benchCorpus(family, { docs: 50, dim, seed: 2 });
      const cos: number[] = [];
      for (let i = 0; i < 49; i++) cos.push(dot(row(c.doc(i), 0), row(c.doc(i + 1), 0)));
      return mean(cos);
    };
    expect(spread("zipfian")).toBeGreaterThan(0.1);
    expect(Math.abs(spread("concepts"))).toBeLessThan(0.08);
  });

  it("near-duplicate corpora hold many documents almost identical to another", () => {
    const near = (family: "zipfian" | "near-duplicates") => {
      const c = benchCorpus(family, { docs: 80, dim, seed: 3 });
      let count = 0;
      for (let i = 1; i < 80; i++) {
        const d = c.doc(i);
        const self = maxsimScore(d, d);
        let best = 0;
        for (let j = 0; j < i; j++) best = Math.max(best, maxsimScore(d, c.doc(j)) / self);
        if (best > 0.93) count++;
      }
      return count;
    };
    expect(near("near-duplicates")).toBeGreaterThan(20);
    expect(near("zipfian")).toBeLessThan(5);
  });

  it("queries end in expansion-like tokens near the query mean", () => {
    const c = benchCorpus("zipfian", { docs: 30, dim, seed: 4 });
    const [q] = c.queries(1, 32, 1);
    const m = new Float32Array(dim);
    for (let t = 0; t < 4; t++) row(q!, t).forEach((v, d) => (m[d]! += v));
    const norm = Math.sqrt(dot(m, m));
    // The last token is close to the mean of the first (real) ones.
    expect(dot(row(q!, 31), m) / norm).toBeGreaterThan(0.7);
  });

  it("rejects an unknown family with INVALID_OPTION", () => {
    expect(() => benchCorpus("nope" as never, { docs: 1 })).toThrow(/INVALID_OPTION|Unknown bench corpus family "nope"/);
  });
});
