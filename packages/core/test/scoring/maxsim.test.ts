import { naiveMaxSim as naive } from "../helpers.js";
import { describe, expect, it } from "vitest";
import { maxsimExplain, maxsimScore } from "../../src/scoring/maxsim.js";
import { scoreFlatJs } from "../../src/scoring/js-kernel.js";
import { scoreFlatOrt } from "../../src/scoring/ort-kernel.js";
import { checkVectors } from "../../src/scoring/flat-tokens.js";
import { fromFloat16, toFloat16 } from "../../src/storage/codecs/float16.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import { MaxsimError } from "../../src/errors.js";
import type { TokenVectors } from "../../src/types.js";

const tv = (rows: number[][]): TokenVectors => ({ data: Float32Array.from(rows.flat()), length: rows.length, dim: rows[0]!.length });

describe("maxsimScore / maxsimExplain", () => {
  it("scores a toy example exactly", () => {
    const q = tv([
      [1, 0],
      [0, 1],
    ]);
    const d = tv([
      [1, 0],
      [0.5, 0.5],
    ]);
    expect(maxsimScore(q, d)).toBe(1.5);
    expect(maxsimExplain(q, d)).toEqual([
      { queryIndex: 0, docIndex: 0, score: 1 },
      { queryIndex: 1, docIndex: 1, score: 0.5 },
    ]);
  });

  it("handles negative similarities and score 0", () => {
    const q = tv([[-1, 0]]);
    expect(
      maxsimScore(
        q,
        tv([
          [1, 0],
          [0, 1],
        ]),
      ),
    ).toBe(0);
    expect(maxsimScore(q, tv([[1, 0]]))).toBe(-1);
  });

  it("rejects a dimension mismatch", () => {
    expect(() => maxsimScore(tv([[1, 0]]), tv([[1, 0, 0]]))).toThrow(expect.objectContaining({ code: "DIM_MISMATCH" }));
  });

  it("checkVectors flags NaN and Infinity", () => {
    const bad = tv([[1, Number.NaN]]);
    try {
      checkVectors(bad, "query");
      expect.unreachable();
    } catch (e) {
      expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_VECTOR");
    }
    expect(() => checkVectors(tv([[Infinity, 0]]), "query")).toThrow(/non-finite/);
  });
});

describe("batch kernels equal the naive triple loop", () => {
  const corpus = syntheticCorpus({ docs: 300, dim: 32, docLength: [1, 40], concepts: 64, seed: 3 });
  const queries = [...corpus.queries(3, 16, 5), ...corpus.queries(1, 5, 6)];

  it("JS kernel, all documents and a subset", () => {
    for (const q of queries) {
      const all = scoreFlatJs(q, corpus);
      for (let i = 0; i < corpus.ids.length; i++) expect(all[i]).toBeCloseTo(naive(q, corpus.doc(i)), 5);
      const subset = [299, 0, 17];
      const some = scoreFlatJs(q, corpus, subset);
      subset.forEach((doc, x) => expect(some[x]).toBe(all[doc]));
    }
  });

  it("ONNX Runtime kernel, queries of different lengths batched in one product", async () => {
    const scores = await scoreFlatOrt(queries, corpus);
    queries.forEach((q, qi) => {
      for (let i = 0; i < corpus.ids.length; i++) expect(scores[qi]![i]).toBeCloseTo(naive(q, corpus.doc(i)), 4);
    });
  });

  it("ONNX Runtime kernel over encoded blocks: float16 bits cast in-graph, and rows decoded into the scratch", async () => {
    const bits = toFloat16(corpus.data);
    const halfValues = fromFloat16(bits);
    const asHalf = { offsets: corpus.offsets, dim: corpus.dim, rows: (lo: number, hi: number) => bits.subarray(lo * 32, hi * 32) };
    const blocks: [number, number][] = [];
    const decoded = {
      offsets: corpus.offsets,
      dim: corpus.dim,
      rows(lo: number, hi: number, scratchOf: () => Float32Array) {
        const scratch = scratchOf();
        expect(scratch.length).toBe((hi - lo) * 32);
        blocks.push([lo, hi]);
        scratch.set(halfValues.subarray(lo * 32, hi * 32));
        return scratch;
      },
    };
    const half = { data: halfValues, offsets: corpus.offsets, dim: corpus.dim };
    const expected = queries.map((q) =>
      Array.from({ length: corpus.ids.length }, (_, i) =>
        naive(q, {
          data: half.data.subarray(corpus.offsets[i]! * 32, corpus.offsets[i + 1]! * 32),
          length: corpus.offsets[i + 1]! - corpus.offsets[i]!,
          dim: 32,
        }),
      ),
    );
    for (const source of [asHalf, decoded]) {
      const scores = await scoreFlatOrt(queries, source);
      queries.forEach((_, qi) => expected[qi]!.forEach((e, i) => expect(scores[qi]![i]).toBeCloseTo(e, 4)));
    }
    // Blocks cover every row once, in order.
    expect(blocks[0]![0]).toBe(0);
    blocks.slice(1).forEach(([lo], i) => expect(lo).toBe(blocks[i]![1]));
    expect(blocks.at(-1)![1]).toBe(corpus.offsets.at(-1));
  });
});
