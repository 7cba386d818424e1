import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { clearRerankCache, rerank } from "../../src/rank/rerank.js";
import { maxsimScore } from "../../src/scoring/maxsim.js";

let encoder: ColBERT;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
});

afterAll(async () => {
  await encoder.dispose();
});

const texts = ["Der Hund bellt laut.", "Le chat dort sur le canapé.", "El pan está en la mesa.", "The black cat eats fish."];

describe("rerank", () => {
  it("orders by MaxSim, best first, equal to scoring each text directly", async () => {
    const out = await rerank(encoder, "cat", texts);
    expect(
      out
        .map((r) => r.index)
        .slice(0, 2)
        .sort(),
    ).toEqual([1, 3]);
    const [q] = await encoder.encodeQueries(["cat"]);
    const docs = await encoder.encodeDocuments(texts);
    const expected = docs.map((d, index) => ({ index, score: maxsimScore(q!, d) })).sort((a, b) => b.score - a.score || a.index - b.index);
    expect(out.map((r) => r.index)).toEqual(expected.map((r) => r.index));
    out.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i]!.score, 5));
    for (let i = 1; i < out.length; i++) expect(out[i - 1]!.score).toBeGreaterThanOrEqual(out[i]!.score);
  });

  it("cross-lingual: an English query ranks the German dog sentence first", async () => {
    const out = await rerank(encoder, "dog", texts, { topN: 1 });
    expect(out).toHaveLength(1);
    expect(out[0]!.index).toBe(0);
  });

  it("ties keep input order; duplicates and the cache give identical scores", async () => {
    clearRerankCache();
    const dup = ["Le chat dort.", "Le chat dort.", "Der Hund bellt."];
    const first = await rerank(encoder, "cat", dup);
    expect(first[0]!.index).toBe(0);
    expect(first[1]!.index).toBe(1);
    expect(first[0]!.score).toBe(first[1]!.score);
    const cached = await rerank(encoder, "cat", dup);
    expect(cached).toEqual(first);
    const uncached = await rerank(encoder, "cat", dup, { cache: false });
    expect(uncached).toEqual(first);
  });

  it("the cache never hands one encoder the vectors of another configuration of the same model", async () => {
    clearRerankCache();
    const short = await ColBERT.fromPretrained((await ensureFixtures()).multilingual, { documentLength: 6 });
    try {
      const long = "Le chat noir dort sur le canapé rouge du salon, et le chien aussi.";
      await rerank(encoder, "chien", [long]);
      const cached = await rerank(short, "chien", [long]);
      expect(cached).toEqual(await rerank(short, "chien", [long], { cache: false }));
    } finally {
      await short.dispose();
    }
  });

  it("topN 0, empty input, bad topN, aborted signal", async () => {
    expect(await rerank(encoder, "cat", [])).toEqual([]);
    expect(await rerank(encoder, "cat", texts, { topN: 0 })).toEqual([]);
    expect((await rerank(encoder, "cat", texts, { topN: 99 })).length).toBe(4);
    await expect(rerank(encoder, "cat", texts, { topN: -1 })).rejects.toSatisfy((e) => MaxsimError.isInstance(e) && e.code === "INVALID_OPTION");
    const ac = new AbortController();
    ac.abort();
    await expect(rerank(encoder, "cat", texts, { signal: ac.signal })).rejects.toSatisfy((e) => MaxsimError.isInstance(e) && e.code === "ABORTED");
  });
});
