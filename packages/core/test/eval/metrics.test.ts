import { describe, expect, it } from "vitest";
import { evaluateRun, mrrAt, ndcgAt, recallAt, trecRank } from "../../src/eval/metrics.js";

const judged = (entries: [string, number][]) => new Map(entries);

describe("trec_eval metric definitions", () => {
  it("ranks by score descending and breaks ties by document id descending", () => {
    expect(
      trecRank([
        { id: "a", score: 1 },
        { id: "c", score: 1 },
        { id: "b", score: 2 },
      ]),
    ).toEqual(["b", "c", "a"]);
  });

  it("computes graded NDCG@k by hand", () => {
    // ranked: d1 (grade 0), d2 (grade 2), d3 (grade 1); ideal: 2, 1
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(4);
    const idcg = 2 / Math.log2(2) + 1 / Math.log2(3);
    expect(
      ndcgAt(
        ["d1", "d2", "d3"],
        judged([
          ["d2", 2],
          ["d3", 1],
          ["d1", 0],
        ]),
        10,
      ),
    ).toBeCloseTo(dcg / idcg, 12);
    // Cut at 2 drops d3 from the DCG but not from the ideal.
    expect(
      ndcgAt(
        ["d1", "d2", "d3"],
        judged([
          ["d2", 2],
          ["d3", 1],
        ]),
        2,
      ),
    ).toBeCloseTo(2 / Math.log2(3) / idcg, 12);
  });

  it("computes recall@k and MRR@k", () => {
    const j = judged([
      ["x", 1],
      ["y", 1],
      ["z", 0],
    ]);
    expect(recallAt(["z", "x", "q"], j, 1)).toBe(0);
    expect(recallAt(["z", "x", "q"], j, 2)).toBe(0.5);
    expect(mrrAt(["z", "q", "y"], j, 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(["z", "q", "y"], j, 2)).toBe(0);
  });

  it("averages over judged queries, scores unanswered ones 0 and ignores unjudged ones", () => {
    const qrels = new Map([
      ["q1", judged([["d1", 1]])],
      ["q2", judged([["d9", 1]])], // judged, but the run has nothing for it
      ["q3", judged([["d3", 0]])], // no relevant document: not averaged
    ]);
    const run = new Map([
      ["q1", [{ id: "d1", score: 3 }]],
      ["q4", [{ id: "d4", score: 1 }]], // no judgements: ignored
    ]);
    const { scores, queries } = evaluateRun(run, qrels);
    expect(queries).toBe(2);
    expect(scores["ndcg@10"]).toBe(0.5);
    expect(scores["recall@1"]).toBe(0.5);
    expect(scores["mrr@10"]).toBe(0.5);
  });

  it("applies the tie rule inside evaluation", () => {
    // Equal scores: "b" ranks before "a", so the relevant "a" is second.
    const run = new Map([
      [
        "q",
        [
          { id: "a", score: 1 },
          { id: "b", score: 1 },
        ],
      ],
    ]);
    const { scores } = evaluateRun(run, new Map([["q", judged([["a", 1]])]]));
    expect(scores["mrr@10"]).toBe(0.5);
    expect(scores["recall@1"]).toBe(0);
  });
});
