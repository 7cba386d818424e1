// The search planner and recall calibration: real indexes on the bench corpus family.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BENCH_FAMILY_NAMES, benchCorpus } from "../../src/index/bench-corpora/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { CALIBRATION_MARGIN } from "../../src/index/planner.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "resolved",
    (e: { code?: string }) => e.code ?? String(e),
  );

async function recallAt10(
  index: MaxSimIndex,
  queries: ReturnType<typeof syntheticCorpus>["queries"] extends (...a: never[]) => infer R ? R : never,
  options: { latencyBudgetMs?: number; targetRecall?: number } = {},
): Promise<number> {
  let r = 0;
  for (const q of queries) {
    const truth = new Set((await index.searchExact(q, { k: 10 })).map((h) => h.id));
    r += (await index.search(q, { k: 10, ...options })).filter((h) => truth.has(h.id)).length / 10;
  }
  return r / queries.length;
}

describe("search planner", () => {
  const corpus = syntheticCorpus({ docs: 600, dim: 32, docLength: [6, 20], concepts: 128, seed: 3 });
  const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
  const queries = corpus.queries(6, 16, 4);

  it("scans exactly within the latency budget, approximately above it, and exact: true/false forces", async () => {
    // A modest target: cheap settings, so above the budget the search really is approximate.
    const index = MaxSimIndex.inMemory({ dim: 32, minTrainTokens: 2000, targetRecall: 0.6 });
    await index.add(items.slice(0, 100));
    const untrained = await index.explainSearch(queries[0]!, { k: 10, latencyBudgetMs: 0 });
    expect([untrained.kind, untrained.reason]).toEqual(["exact", "untrained"]);
    await index.add(items.slice(100));
    expect(index.trained).toBe(true);
    const q = queries[0]!;
    // The default budget: the choice follows the predicted exact latency.
    const plan = await index.explainSearch(q, { k: 10 });
    expect(plan.kind).toBe(plan.estimatedExactMs <= plan.latencyBudgetMs ? "exact" : "approximate");
    expect(plan.latencyBudgetMs).toBe(10);
    expect(plan.tokens).toBe(corpus.offsets[600]);
    const over = await index.explainSearch(q, { k: 10, latencyBudgetMs: 0 });
    expect([over.kind, over.reason]).toEqual(["approximate", "over-budget"]);
    expect(over.settings).toEqual(index.calibration!.settings);
    expect(over.expectedRecall).toBe(index.calibration!.recall);
    const within = await index.explainSearch(q, { k: 10, latencyBudgetMs: Number.MAX_VALUE });
    expect([within.kind, within.reason]).toEqual(["exact", "within-budget"]);
    const forcedExact = await index.explainSearch(q, { k: 10, latencyBudgetMs: 0, exact: true });
    expect([forcedExact.kind, forcedExact.reason]).toEqual(["exact", "forced"]);
    const forcedApprox = await index.explainSearch(q, { k: 10, latencyBudgetMs: Number.MAX_VALUE, exact: false });
    expect([forcedApprox.kind, forcedApprox.reason]).toEqual(["approximate", "forced"]);
    // What runs is what the plan says: exact plans equal searchExact.
    expect(await index.search(q, { k: 10, latencyBudgetMs: 0, exact: true })).toEqual(await index.searchExact(q, { k: 10 }));
    expect(await index.search(q, { k: 10, latencyBudgetMs: Number.MAX_VALUE })).toEqual(await index.searchExact(q, { k: 10 }));
    // k covering the index, and explicit PLAID settings.
    expect((await index.explainSearch(q, { k: 600, latencyBudgetMs: 0 })).reason).toBe("k-covers-index");
    const tuned = await index.explainSearch(q, { k: 10, latencyBudgetMs: 0, nprobe: 3 });
    expect(tuned.settings!.nprobe).toBe(3);
    expect(tuned.expectedRecall).toBeUndefined();
  });

  it("predicts the exact scan from the live tokens, filters included, and doubles it for twice the tokens", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32, minTrainTokens: 2000, latencyBudgetMs: 0 });
    await index.add(items);
    const q = queries[1]!;
    const all = await index.explainSearch(q, { k: 10 });
    const even = new Set(corpus.ids.filter((_, i) => i % 2 === 0));
    let evenTokens = 0;
    corpus.ids.forEach((_, i) => {
      if (i % 2 === 0) evenTokens += corpus.offsets[i + 1]! - corpus.offsets[i]!;
    });
    const filtered = await index.explainSearch(q, { k: 10, filter: even, exactBelow: 1 });
    expect(filtered.tokens).toBe(evenTokens);
    expect(filtered.estimatedExactMs / all.estimatedExactMs).toBeCloseTo(evenTokens / all.tokens, 6);
    // A selective filter is scored exactly over its matches.
    const few = await index.explainSearch(q, { k: 10, filter: new Set(corpus.ids.slice(0, 20)) });
    expect([few.kind, few.reason]).toEqual(["exact", "filter"]);
    // Longer queries cost proportionally more.
    const half = { ...q, length: q.length / 2 };
    expect((await index.explainSearch(half, { k: 10 })).estimatedExactMs * 2).toBeCloseTo(all.estimatedExactMs, 6);
  });

  it("rejects bad planner options with INVALID_OPTION", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32 });
    await index.add(items.slice(0, 5));
    expect(await code(index.search(queries[0]!, { k: 3, targetRecall: 1.5 }))).toBe("INVALID_OPTION");
    expect(await code(index.search(queries[0]!, { k: 3, latencyBudgetMs: -1 }))).toBe("INVALID_OPTION");
    expect(() => MaxSimIndex.inMemory({ dim: 32, targetRecall: 0 })).toThrow(/targetRecall/);
  });

  it("normalizedScore is the raw score over the number of query tokens", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32 });
    await index.add(items.slice(0, 50));
    for (const h of await index.search(queries[2]!, { k: 5 })) expect(h.normalizedScore).toBeCloseTo(h.score / queries[2]!.length, 6);
  });
});

describe("recall calibration", () => {
  it("is measured at training, persisted in the manifest, and reopened unchanged", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "maxsim-calib-")), "idx");
    dirs.push(dir);
    const corpus = benchCorpus("zipfian", { docs: 500, dim: 32, seed: 8 });
    const index = await MaxSimIndex.create(dir, { dim: 32, minTrainTokens: 5000, targetRecall: 0.9 });
    expect(index.calibration).toBeNull();
    await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
    const c = index.calibration!;
    expect(c.targetRecall).toBe(0.9);
    expect(c.recall).toBeGreaterThanOrEqual(0.9);
    expect(c.documents).toBe(500);
    expect(c.grid.length).toBeGreaterThan(3);
    // The chosen point is the cheapest of those meeting the target.
    const meeting = c.grid.filter((p) => p.recall >= 0.9 + CALIBRATION_MARGIN);
    expect(Math.min(...meeting.map((p) => p.cost))).toBe(
      c.grid.find((p) => p.nprobe === c.settings.nprobe && p.candidates === c.settings.candidates && p.rescore === c.settings.rescore)!.cost,
    );
    expect(Number.isNaN(Date.parse(c.calibratedAt))).toBe(false);
    await index.close();
    const reopened = await MaxSimIndex.open(dir);
    expect(reopened.calibration).toEqual(c);
    expect(reopened.targetRecall).toBe(0.9);
    // A query may ask for another target: a lower one never costs more.
    const q = corpus.queries(1, 32, 2)[0]!;
    const low = await reopened.explainSearch(q, { k: 10, latencyBudgetMs: 0, targetRecall: 0.5 });
    const high = await reopened.explainSearch(q, { k: 10, latencyBudgetMs: 0, targetRecall: 0.99 });
    const costOf = (s: { nprobe: number; candidates: number; rescore: number }) =>
      c.grid.find((p) => p.nprobe === s.nprobe && p.candidates === s.candidates && p.rescore === s.rescore)?.cost ?? Infinity;
    if (high.kind === "approximate") expect(costOf(low.settings!)).toBeLessThanOrEqual(costOf(high.settings!));
    else expect(["target-unreachable", "exact-cheaper"]).toContain(high.reason);
    // Recalibrating for a new index-wide target commits it.
    const again = (await reopened.calibrate({ targetRecall: 0.95 }))!;
    expect(again.targetRecall).toBe(0.95);
    await reopened.close();
    const third = await MaxSimIndex.open(dir, { readOnly: true });
    expect(third.calibration!.targetRecall).toBe(0.95);
    await third.close();
  });

  it("is measured again when the index has doubled since, also without retraining", async () => {
    const corpus = benchCorpus("zipfian", { docs: 900, dim: 32, seed: 9 });
    const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
    const index = MaxSimIndex.inMemory({ dim: 32, minTrainTokens: 4000, autoRetrain: false });
    await index.add(items.slice(0, 200));
    const first = index.calibration!;
    expect(first.documents).toBe(200);
    // Below twice the calibrated documents: unchanged.
    await index.add(items.slice(200, 300));
    expect(index.calibration).toEqual(first);
    // A bulk load past twice: measured again at its end, on every document, centroids unchanged.
    const trainedTokens = index.trainedTokens;
    await index.bulk(async () => {
      for (let i = 300; i < 900; i += 100) await index.add(items.slice(i, i + 100));
    });
    expect(index.trainedTokens).toBe(trainedTokens);
    expect(index.calibration!.documents).toBe(900);
    expect(index.calibration!.tokens).toBe(corpus.offsets[900]);
  });

  for (const family of BENCH_FAMILY_NAMES) {
    it(`default recall@10 on held-out ${family} queries is within 0.02 of the 0.97 target`, async () => {
      // Few documents for a test: the long family's are 256–512 tokens each.
      const docs = family === "long" ? 150 : family === "short" ? 1500 : 700;
      const corpus = benchCorpus(family, { docs, dim: 32, seed: 11 });
      // latencyBudgetMs 0: every search is approximate, with the calibrated settings.
      const index = MaxSimIndex.inMemory({ dim: 32, minTrainTokens: 4000, latencyBudgetMs: 0 });
      await index.add(corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) })));
      expect(index.calibration!.targetRecall).toBe(0.97);
      const recall = await recallAt10(index, corpus.queries(30, 32, 99));
      expect(recall).toBeGreaterThanOrEqual(0.95);
    });
  }
});
