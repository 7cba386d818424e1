import { describe, expect, it } from "vitest";
import { MAX_POOLED_TOKENS, poolTokens } from "../../src/encoder/token-pooling.js";
import { maxClusters, wardLinkage } from "../../src/encoder/ward-clusters.js";
import { MaxsimError } from "../../src/errors.js";
import type { TokenEmbeddings } from "../../src/types.js";

// Nine unit rows in 4-D (a seeded normal draw, rounded to 4 decimals). The expected values below
// were computed by the reference: PyLate's pool_embeddings_hierarchical run as written (numpy
// float32 rows, `1 − rows·rowsᵀ` condensed, scipy 1.17 `linkage(method="ward")` and
// `fcluster(t=max(n // f, 1), criterion="maxclust")`, cluster means in label order).
const X = [
  [0.0013, 0.3053, -0.2801, -0.9101],
  [-0.2629, -0.5735, 0.0348, 0.7751],
  [-0.4935, -0.6222, 0.4912, 0.3579],
  [0.0904, -0.7975, -0.0251, 0.596],
  [-0.4977, -0.1694, -0.704, -0.4775],
  [-0.8134, -0.1038, -0.5597, 0.1198],
  [0.0606, -0.0723, -0.9735, -0.2084],
  [-0.0302, 0.0705, -0.9517, -0.2972],
  [-0.5315, -0.4393, 0.5763, -0.4386],
];

function doc(rows: number[][], ids?: number[]): TokenEmbeddings {
  return { data: Float32Array.from(rows.flat()), length: rows.length, dim: rows[0]!.length, tokenIds: Int32Array.from(ids ?? rows.map((_, i) => 100 + i)) };
}

function rowsOf(e: TokenEmbeddings): number[][] {
  return Array.from({ length: e.length }, (_, i) => Array.from(e.data.subarray(i * e.dim, (i + 1) * e.dim)));
}

function condensedCosine(rows: number[][]): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) out.push(Math.fround(1 - Math.fround(rows[i]!.reduce((s, v, c) => s + v * rows[j]![c]!, 0))));
  }
  return Float64Array.from(out);
}

describe("Ward linkage and maxclust (scipy's algorithm)", () => {
  it("builds scipy's linkage matrix: merge pairs, heights and sizes", () => {
    const z = wardLinkage(condensedCosine(X.slice(1)), 8);
    const want = [
      [5, 6, 0.0185108, 2],
      [0, 2, 0.1053138, 2],
      [3, 4, 0.2407628, 2],
      [1, 9, 0.3297366, 3],
      [8, 10, 0.5188898, 4],
      [7, 11, 0.9653979, 4],
      [12, 13, 2.2056415, 8],
    ];
    expect(z.map((m) => [m.a, m.b, m.size])).toEqual(want.map(([a, b, , s]) => [a, b, s]));
    z.forEach((m, i) => expect(m.height).toBeCloseTo(want[i]![2]!, 6));
  });

  it("cuts into at most k clusters numbered in scipy's order", () => {
    const z = wardLinkage(condensedCosine(X.slice(1)), 8);
    expect(Array.from(maxClusters(z, 8, 4))).toEqual([3, 3, 3, 2, 2, 1, 1, 4]);
    expect(Array.from(maxClusters(z, 8, 2))).toEqual([2, 2, 2, 1, 1, 1, 1, 2]);
    expect(Array.from(maxClusters(z, 8, 1))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(new Set(maxClusters(z, 8, 8)).size).toBe(8);
  });

  it("merges every tie at the cut (fewer clusters than asked, as scipy)", () => {
    // Four points at the corners of a square: all first merges have the same height.
    const d = Float64Array.from([1, 1, Math.SQRT2, Math.SQRT2, 1, 1]);
    const z = wardLinkage(d, 4);
    expect(z[0]!.height).toBe(z[1]!.height);
    expect(new Set(maxClusters(z, 4, 3)).size).toBe(2);
  });
});

describe("poolTokens (PyLate's hierarchical pooling)", () => {
  it("pool factor 2: protected first row, then the cluster means of the reference", () => {
    const pooled = poolTokens(doc(X), 2);
    const want = [
      [0.0013, 0.3053, -0.2801, -0.9101],
      [0.0152, -0.0009, -0.9626, -0.2528],
      [-0.65555, -0.1366, -0.63185, -0.17885],
      [-0.222, -0.6644, 0.1669667, 0.5763333],
      [-0.5315, -0.4393, 0.5763, -0.4386],
    ];
    expect(pooled.length).toBe(5);
    rowsOf(pooled).forEach((row, i) => row.forEach((v, c) => expect(v).toBeCloseTo(want[i]![c]!, 6)));
    // Each pooled row names its cluster's first token: labels [3,3,3,2,2,1,1,4] over rows 1…8.
    expect(Array.from(pooled.tokenIds)).toEqual([100, 106, 104, 101, 108]);
  });

  it("pool factor 3: ⌊8 / 3⌋ = 2 clusters", () => {
    const pooled = poolTokens(doc(X), 3);
    const want = [
      [0.0013, 0.3053, -0.2801, -0.9101],
      [-0.320175, -0.06875, -0.797225, -0.215825],
      [-0.299375, -0.608125, 0.2693, 0.3226],
    ];
    expect(pooled.length).toBe(3);
    rowsOf(pooled).forEach((row, i) => row.forEach((v, c) => expect(v).toBeCloseTo(want[i]![c]!, 6)));
  });

  it("a small example: three near directions and one far one", () => {
    const pooled = poolTokens(
      doc([
        [1, 0],
        [0, 1],
        [0.6, 0.8],
        [0.8, 0.6],
        [1, 0],
      ]),
      2,
    );
    expect(rowsOf(pooled).map((r) => r.map((v) => Number(v.toFixed(6))))).toEqual([
      [1, 0],
      [0.466667, 0.8],
      [1, 0],
    ]);
  });

  it("returns the document unchanged when pooling would not reduce it, and for factor 1", () => {
    const d = doc(X.slice(0, 2)); // one row to pool: ⌊1 / 2⌋ → 1 cluster = no reduction
    expect(poolTokens(d, 2)).toBe(d);
    const all = doc(X);
    expect(poolTokens(all, 1)).toBe(all);
    expect(poolTokens(doc(X.slice(0, 1)), 2).length).toBe(1);
  });

  it("protects as many leading rows as asked, 0 included", () => {
    const none = poolTokens(doc(X), 2, 0);
    expect(none.length).toBe(4); // ⌊9 / 2⌋
    const three = poolTokens(doc(X), 2, 3);
    expect(rowsOf(three).slice(0, 3)).toEqual(rowsOf(doc(X.slice(0, 3))));
    expect(three.length).toBe(3 + 3);
  });

  it("rejects a pool factor that is not a positive integer with INVALID_OPTION", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      try {
        poolTokens(doc(X), bad);
        throw new Error("expected a refusal");
      } catch (e) {
        expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_OPTION");
        expect((e as Error).message).toContain("poolFactor");
      }
    }
  });

  it("refuses a document longer than MAX_POOLED_TOKENS with INVALID_INPUT before allocating its distances", () => {
    const n = MAX_POOLED_TOKENS + 2;
    const long = { data: new Float32Array(n * 2).fill(0.5), length: n, dim: 2, tokenIds: new Int32Array(n) };
    try {
      poolTokens(long, 2);
      throw new Error("expected a refusal");
    } catch (e) {
      expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_INPUT");
      expect((e as Error).message).toContain(`at most ${MAX_POOLED_TOKENS}`);
    }
  });
});
