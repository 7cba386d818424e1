import { describe, expect, it } from "vitest";
import { benchCorpus } from "../../src/index/bench-corpora/index.js";
import { probesOf } from "../../src/index/index-search.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import type { SlotTable } from "../../src/index/slot-table.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import { collectTokenScores, rankTokenScores } from "../../src/index/token-stage.js";
import type { IndexCodec } from "../../src/index/types.js";
import type { TokenVectors } from "../../src/types.js";

const tableOf = (index: MaxSimIndex): SlotTable => (index as unknown as { ctx: { table: SlotTable } }).ctx.table;

async function trained(codec: IndexCodec = "float32", docs = 300) {
  const corpus = syntheticCorpus({ docs, dim: 16, seed: 3 });
  const index = MaxSimIndex.inMemory({ dim: 16, minTrainTokens: 2000, centroids: 32, codec, targetRecall: 0.9 });
  await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
  expect(index.trained).toBe(true);
  return { corpus, index, table: tableOf(index) };
}

/** The token stage's ranking of `query` with every centroid probed. */
async function rankAll(table: SlotTable, query: TokenVectors, want: number): Promise<Int32Array> {
  const ci = table.centroidIndex!;
  const sims = await ci.centroidSimilarities(query);
  const scores = await collectTokenScores(table, table.tokenLists(), query, probesOf(ci, query, ci.k, sims));
  try {
    return rankTokenScores(scores, 0.5, want, (s) => table.alive[s] === 1);
  } finally {
    scores.release();
  }
}

describe("token first stage", () => {
  for (const codec of ["float32", "residual-2"] as const) {
    it(`with every centroid probed, ranks exactly as MaxSim does (${codec} rows)`, async () => {
      const { corpus, index, table } = await trained(codec);
      for (const q of corpus.queries(4, 8, 11)) {
        const exact = await index.searchExact(q, { k: 10 });
        const ranked = Array.from(await rankAll(table, q, 10), (s) => table.slotIds[s]);
        expect(ranked).toEqual(exact.map((h) => h.id));
      }
      await index.close();
    });
  }

  it("scores documents added after its lists were built (the tail), and skips deleted ones", async () => {
    const { corpus, index, table } = await trained("float32", 300);
    const q = corpus.queries(1, 8, 5)[0]!;
    await rankAll(table, q, 10); // builds the lists over the first 300 documents
    const built = table.tokenLists();
    const more = syntheticCorpus({ docs: 40, dim: 16, seed: 99 });
    // New documents that copy the query's tokens: the best matches, and all in the tail.
    await index.add(more.ids.map((id, i) => ({ id: `new-${id}`, embeddings: i < 3 ? q : more.doc(i) })));
    expect(table.tokenLists()).toBe(built); // a small tail does not rebuild
    const top = await index.searchExact(q, { k: 10 });
    expect(top.slice(0, 3).every((h) => h.id.startsWith("new-"))).toBe(true);
    let ranked = Array.from(await rankAll(table, q, 10), (s) => table.slotIds[s]);
    expect(ranked).toEqual(top.map((h) => h.id));
    await index.delete([top[0]!.id]);
    ranked = Array.from(await rankAll(table, q, 10), (s) => table.slotIds[s]);
    expect(ranked).not.toContain(top[0]!.id);
    expect(ranked.slice(0, 9)).toEqual(top.slice(1).map((h) => h.id));
    await index.close();
  });

  it("search with stage tokens returns exact scores of most of the true top 10, and concurrent searches agree", async () => {
    const corpus = benchCorpus("zipfian", { docs: 600, dim: 32, seed: 4 });
    const index = MaxSimIndex.inMemory({ dim: 32, minTrainTokens: 5000 });
    await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
    const queries = corpus.queries(6, 32, 9);
    const options = { k: 10, exact: false, stage: "tokens", nprobe: 8, rescore: 64 } as const;
    const plan = await index.explainSearch(queries[0]!, options);
    expect(plan.settings?.stage).toBe("tokens");
    const sequential = [];
    for (const q of queries) sequential.push(await index.search(q, options));
    const concurrent = await Promise.all(queries.map((q) => index.search(q, options)));
    expect(concurrent).toEqual(sequential);
    let recall = 0;
    for (const [i, q] of queries.entries()) {
      const exact = await index.searchExact(q, { k: 10 });
      const byId = new Map(exact.map((h) => [h.id, h.score]));
      for (const h of sequential[i]!) if (byId.has(h.id)) expect(h.score).toBeCloseTo(byId.get(h.id)!, 4);
      recall += sequential[i]!.filter((h) => byId.has(h.id)).length / 10;
    }
    expect(recall / queries.length).toBeGreaterThan(0.8);
    await index.close();
  });

  it("rejects an unknown stage with INVALID_OPTION", async () => {
    const { corpus, index } = await trained();
    const q = corpus.queries(1, 8, 1)[0]!;
    await expect(index.search(q, { k: 5, stage: "words" as "tokens" })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await index.close();
  });
});
