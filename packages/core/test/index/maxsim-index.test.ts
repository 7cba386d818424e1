import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { naiveMaxSim as naive } from "../helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { MaxSimIndex, type IndexItem } from "../../src/index/maxsim-index.js";
import { IndexCorruptError } from "../../src/errors.js";
import { IndexStore } from "../../src/storage/index-store.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import type { SearchHit } from "../../src/index/types.js";
import type { TokenVectors } from "../../src/types.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "maxsim-index-"));
  dirs.push(d);
  return join(d, "idx");
}

/** Brute-force top-k over `docs` with the index's ordering (score desc, id asc). */
function bruteForce(q: TokenVectors, docs: Map<string, TokenVectors>, k: number, keep: (id: string) => boolean = () => true): SearchHit[] {
  return [...docs]
    .filter(([id]) => keep(id))
    .map(([id, d]) => ({ id, score: naive(q, d), normalizedScore: naive(q, d) / q.length }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

function expectSameHits(actual: SearchHit[], expected: SearchHit[]): void {
  expect(actual.map((h) => h.id)).toEqual(expected.map((h) => h.id));
  actual.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 4));
}

const corpus = syntheticCorpus({ docs: 400, dim: 32, docLength: [6, 20], concepts: 96, seed: 21 });
const items: IndexItem[] = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i), payload: { n: i } }));
const docsById = new Map(items.map((it) => [it.id, it.embeddings]));
const queries = corpus.queries(8, 12, 3);
// Small enough to train on this corpus (≈ 5,200 tokens), so `search` is the PLAID path.
const small = { dim: 32, minTrainTokens: 2000 };

describe("MaxSimIndex exact search", () => {
  it("equals the naive triple loop, ties by id, k > size returns all", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32 });
    await index.add(items.slice(0, 120));
    const subset = new Map([...docsById].slice(0, 120));
    for (const q of queries.slice(0, 3)) expectSameHits(await index.searchExact(q, { k: 10 }), bruteForce(q, subset, 10));
    expect((await index.searchExact(queries[0]!, { k: 1000 })).length).toBe(120);
    const batch = await index.searchExactBatch(queries, { k: 10 });
    for (const [i, q] of queries.entries()) expectSameHits(batch[i]!, bruteForce(q, subset, 10));
    // Equal scores: two copies of one document are ordered by id.
    await index.add([
      { id: "zz-copy", embeddings: corpus.doc(0) },
      { id: "aa-copy", embeddings: corpus.doc(0) },
    ]);
    const hits = await index.searchExact(corpus.doc(0), { k: 3 });
    expect(hits.slice(0, 3).map((h) => h.id)).toEqual(["aa-copy", corpus.ids[0], "zz-copy"]);
    expect(hits[0]!.score).toBe(hits[2]!.score);
  });

  it("explain gives per-token best matches that sum to the score; rerank scores given ids", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32 });
    await index.add(items.slice(0, 20));
    const q = queries[0]!;
    const ex = index.explain(q, corpus.ids[3]!);
    expect(ex).toHaveLength(q.length);
    expect(ex.reduce((s, m) => s + m.score, 0)).toBeCloseTo(naive(q, corpus.doc(3)), 5);
    const rr = await index.rerank(q, [corpus.ids[5]!, corpus.ids[3]!, corpus.ids[4]!], { k: 2 });
    expectSameHits(rr, bruteForce(q, new Map([3, 4, 5].map((i) => [corpus.ids[i]!, corpus.doc(i)])), 2));
  });

  it("typed errors and documented edge cases", async () => {
    const index = MaxSimIndex.inMemory({ dim: 32 });
    expect(await index.search(queries[0]!, { k: 5 })).toEqual([]); // empty index → []
    await index.add(items.slice(0, 5));
    const code = (p: Promise<unknown> | (() => unknown)) =>
      (typeof p === "function" ? Promise.resolve().then(p) : p).then(
        () => "ok",
        (e: { code?: string }) => e.code,
      );
    expect(await code(index.search(queries[0]!, { k: 0 }))).toBe("INVALID_OPTION");
    expect(await code(index.searchExact(queries[0]!, { k: 1.5 }))).toBe("INVALID_OPTION");
    expect(await code(index.search({ data: new Float32Array(16), length: 1, dim: 16 }, { k: 1 }))).toBe("DIM_MISMATCH");
    const nan = new Float32Array(64);
    nan[40] = Number.NaN;
    expect(await code(index.add([{ id: "n", embeddings: { data: nan, length: 2, dim: 32 } }]))).toBe("INVALID_VECTOR");
    expect(await code(index.search({ data: nan, length: 2, dim: 32 }, { k: 1 }))).toBe("INVALID_VECTOR");
    expect(await code(index.add([{ id: corpus.ids[0]!, embeddings: corpus.doc(9) }]))).toBe("DUPLICATE_ID");
    expect(await code(index.add([items[7]!, items[7]!]))).toBe("DUPLICATE_ID");
    expect(await code(() => index.explain(queries[0]!, "nope"))).toBe("NOT_FOUND");
    expect(await code(index.rerank(queries[0]!, ["nope"]))).toBe("NOT_FOUND");
    expect(index.size).toBe(5); // failed writes changed nothing
    await index.upsert([{ id: corpus.ids[0]!, embeddings: corpus.doc(9), payload: "new" }]);
    expect(index.size).toBe(5);
    expect(index.get(corpus.ids[0]!)!.data).toEqual(corpus.doc(9).data);
    expect(index.getPayload(corpus.ids[0]!)).toBe("new");
  });
});

describe("MaxSimIndex approximate search (PLAID)", () => {
  it("trains past minTrainTokens and keeps recall@10 high on clustered data", async () => {
    const index = MaxSimIndex.inMemory(small);
    await index.add(items);
    expect(index.trained).toBe(true);
    let recall = 0;
    for (const q of queries) {
      const truth = new Set((await index.searchExact(q, { k: 10 })).map((h) => h.id));
      const hits = await index.search(q, { k: 10 });
      expect(hits).toHaveLength(10);
      recall += hits.filter((h) => truth.has(h.id)).length / 10;
    }
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.9);
    // k ≥ size returns every document, exactly; too few probed candidates fall back to exact.
    expect(await index.search(queries[0]!, { k: 1000 })).toEqual(await index.searchExact(queries[0]!, { k: 1000 }));
    const strict = await index.search(queries[1]!, { k: 10, nprobe: 1, candidates: 1 });
    expect(strict).toHaveLength(10);
  });

  it("concurrent searches rescoring at once (pooled buffers) answer as the same searches one at a time, for float32 and float16", async () => {
    for (const codec of ["float32", "float16"] as const) {
      const index = MaxSimIndex.inMemory({ ...small, codec });
      await index.add(items);
      // Wide rescoring (> 512 tokens: the ORT kernel over gathered rows) on every query at once.
      const opts = { k: 10, exact: false, nprobe: 4, candidates: 200, rescore: 100 };
      const alone: SearchHit[][] = [];
      for (const q of queries) alone.push(await index.search(q, opts));
      const together = await Promise.all([...queries, ...queries].map((q) => index.search(q, opts)));
      expect(together).toEqual([...alone, ...alone]);
      // Rescored scores are the exact ones of those documents (rerank of 10 runs the JS kernel: equal to rounding).
      for (const [i, q] of queries.entries())
        expectSameHits(
          await index.rerank(
            q,
            alone[i]!.map((h) => h.id),
          ),
          alone[i]!,
        );
    }
  });

  it("rescoring more tokens than one gather block (131,072) scores in blocks, as the exact scan does", async () => {
    const long = syntheticCorpus({ docs: 330, dim: 8, docLength: [400, 500], concepts: 64, seed: 5 });
    expect(long.offsets[330]!).toBeGreaterThan(1 << 17);
    const index = MaxSimIndex.inMemory({ dim: 8, minTrainTokens: 1e9 });
    await index.add(long.ids.map((id, i) => ({ id, embeddings: long.doc(i) })));
    const q = long.queries(1, 12, 4)[0]!;
    expectSameHits(await index.rerank(q, long.ids), await index.searchExact(q, { k: 330 }));
  });

  it("filters equal brute force with the filter (few matches: exact; set or predicate)", async () => {
    const index = MaxSimIndex.inMemory(small);
    await index.add(items);
    const allowed = new Set(corpus.ids.filter((_, i) => i % 37 === 0));
    for (const q of queries.slice(0, 3)) {
      const expected = bruteForce(q, docsById, 5, (id) => allowed.has(id));
      expectSameHits(await index.search(q, { k: 5, filter: allowed }), expected);
      expectSameHits(await index.search(q, { k: 5, filter: (id) => allowed.has(id) }), expected);
      expectSameHits(await index.searchExact(q, { k: 5, filter: allowed }), expected);
    }
    // Many matches: the PLAID path, still only matching ids.
    const even = (id: string) => Number(id.slice(4)) % 2 === 0;
    const hits = await index.search(queries[0]!, { k: 10, filter: even, exactBelow: 1 });
    expect(hits.every((h) => even(h.id))).toBe(true);
  });

  it("after adds past training, deletes, upserts and compaction, results equal a rebuilt index", async () => {
    const index = MaxSimIndex.inMemory(small);
    await index.add(items.slice(0, 200)); // trains here
    await index.add(items.slice(200)); // 50% of the corpus after training: drift
    const removed = corpus.ids.filter((_, i) => i % 5 === 0);
    expect(await index.delete([...removed, "unknown"])).toBe(removed.length);
    await index.upsert([{ id: corpus.ids[1]!, embeddings: corpus.doc(2) }]);
    const final = new Map(docsById);
    for (const id of removed) final.delete(id);
    final.set(corpus.ids[1]!, corpus.doc(2));
    const generous = { k: 10, nprobe: 64, candidates: 400 };
    const before = await Promise.all(queries.map((q) => index.search(q, generous)));
    await index.compact(); // drops deleted rows and retrains (half the corpus came after training)
    expect(index.size).toBe(final.size);
    const rebuilt = MaxSimIndex.inMemory(small);
    await rebuilt.add([...final].map(([id, embeddings]) => ({ id, embeddings })));
    for (const [qi, q] of queries.entries()) {
      const expected = bruteForce(q, final, 10);
      expectSameHits(await index.searchExact(q, { k: 10 }), expected);
      expectSameHits(await rebuilt.searchExact(q, { k: 10 }), expected);
      expectSameHits(await index.search(q, generous), expected);
      expectSameHits(await rebuilt.search(q, generous), expected);
      expectSameHits(before[qi]!, expected);
    }
  });
});

describe("MaxSimIndex automatic retraining (doubling rule)", () => {
  // 1,600 documents (≈ 21k tokens) over 512 concepts, added 80 at a time after training on ≈ 1k tokens.
  const grown = syntheticCorpus({ docs: 1600, dim: 32, docLength: [6, 20], concepts: 512, seed: 5 });
  const grownItems: IndexItem[] = grown.ids.map((id, i) => ({ id, embeddings: grown.doc(i) }));
  const grownQueries = grown.queries(40, 12, 9);
  const opts = { dim: 32, minTrainTokens: 1000 };
  async function recallAt10(index: MaxSimIndex): Promise<number> {
    let r = 0;
    for (const q of grownQueries) {
      const truth = new Set((await index.searchExact(q, { k: 10 })).map((h) => h.id));
      // The PLAID path with the settings this test was written for (the planner would scan exactly).
      r += (await index.search(q, { k: 10, exact: false, nprobe: 8, candidates: 512, rescore: 128 })).filter((h) => truth.has(h.id)).length / 10;
    }
    return r / grownQueries.length;
  }
  async function growIn80s(index: MaxSimIndex, watch: (trained: number) => void = () => undefined): Promise<void> {
    for (let i = 0; i < grownItems.length; i += 80) {
      await index.add(grownItems.slice(i, i + 80));
      watch(index.trainedTokens);
    }
  }

  it("retrains when the tokens added since training reach the trained count; recall matches a fresh build", async () => {
    const fresh = MaxSimIndex.inMemory(opts);
    await fresh.add(grownItems);
    expect(fresh.trainedTokens).toBe(grown.offsets[grown.ids.length]);
    const freshRecall = await recallAt10(fresh);

    const auto = MaxSimIndex.inMemory(opts);
    const trainedCounts: number[] = [];
    await growIn80s(auto, (t) => {
      if (t !== trainedCounts.at(-1)) trainedCounts.push(t);
    });
    // Trained once at ≥ 1000 tokens, then retrained each time the corpus (at least) doubled.
    expect(trainedCounts[0]).toBeGreaterThanOrEqual(1000);
    expect(trainedCounts.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < trainedCounts.length; i++) expect(trainedCounts[i]!).toBeGreaterThanOrEqual(2 * trainedCounts[i - 1]!);
    expect(auto.tokensSinceTraining).toBeLessThan(auto.trainedTokens);
    const autoRecall = await recallAt10(auto);
    expect(autoRecall).toBeGreaterThanOrEqual(freshRecall - 0.01);

    // autoRetrain: false keeps the first centroids; recall decays until compact() retrains.
    const manual = MaxSimIndex.inMemory({ ...opts, autoRetrain: false });
    await growIn80s(manual);
    const first = trainedCounts[0]!;
    expect(manual.trainedTokens).toBe(first);
    expect(manual.tokensSinceTraining).toBe(grown.offsets[grown.ids.length]! - first);
    const manualRecall = await recallAt10(manual);
    expect(manualRecall).toBeLessThan(autoRecall - 0.05);
    await manual.compact();
    expect(manual.trainedTokens).toBe(fresh.trainedTokens);
    expect(await recallAt10(manual)).toBeGreaterThanOrEqual(freshRecall - 0.01);
  });

  it("the setting is stored: a reopened index keeps autoRetrain: false, and a retraining add reopens intact", async () => {
    for (const autoRetrain of [false, true]) {
      const dir = await tempDir();
      const index = await MaxSimIndex.create(dir, { ...opts, autoRetrain });
      await index.add(grownItems.slice(0, 100)); // trains
      const trained = index.trainedTokens;
      await index.close();
      const reopened = await MaxSimIndex.open(dir);
      await reopened.add(grownItems.slice(100, 400)); // ≥ 3× the trained tokens
      expect(reopened.trainedTokens > trained).toBe(autoRetrain);
      const snapshot = await Promise.all(grownQueries.slice(0, 5).map((q) => reopened.search(q, { k: 10 })));
      const trainedNow = reopened.trainedTokens;
      await reopened.close();
      const again = await MaxSimIndex.open(dir);
      expect(again.size).toBe(400);
      expect(again.trainedTokens).toBe(trainedNow);
      for (const [qi, q] of grownQueries.slice(0, 5).entries()) expect(await again.search(q, { k: 10 })).toEqual(snapshot[qi]);
      await again.close();
    }
  });
});

describe("MaxSimIndex persistence", () => {
  it("reopens with the same documents, payloads and results (float32, float16, residual-2)", async () => {
    for (const codec of ["float32", "float16", "residual-2"] as const) {
      const dir = await tempDir();
      const index = await MaxSimIndex.create(dir, { ...small, codec, meta: { owner: "test" } });
      await index.add(items.slice(0, 250));
      await index.add(items.slice(250));
      await index.delete([corpus.ids[7]!]);
      const snapshot = await Promise.all(queries.map((q) => index.search(q, { k: 10 })));
      const vectors = index.get(corpus.ids[8]!)!;
      const bytes = { disk: index.bytesPerToken(), memory: index.vectorBytesInMemory() };
      await index.close();
      const reopened = await MaxSimIndex.open(dir);
      expect(reopened.size).toBe(399);
      expect(reopened.has(corpus.ids[7]!)).toBe(false);
      expect(reopened.meta).toEqual({ owner: "test" });
      expect(reopened.getPayload(corpus.ids[8]!)).toEqual({ n: 8 });
      expect(reopened.get(corpus.ids[8]!)).toEqual(vectors);
      for (const [qi, q] of queries.entries()) expect(await reopened.search(q, { k: 10 })).toEqual(snapshot[qi]);
      // Memory holds live rows only: the deleted document's rows were dropped on load.
      expect({ disk: reopened.bytesPerToken(), memory: reopened.vectorBytesInMemory() }).toEqual({
        ...bytes,
        memory: bytes.memory - reopened.bytesPerToken() * corpus.doc(7).length,
      });
      if (codec === "residual-2") {
        await reopened.compact(); // retrains: 150 of 400 documents came after training
        const retrained = reopened.get(corpus.ids[8]!)!;
        await reopened.delete([corpus.ids[9]!]);
        await reopened.compact(); // no drift now: rewriting stored residuals is lossless
        expect(reopened.get(corpus.ids[8]!)).toEqual(retrained);
      }
      await reopened.close();
    }
  });
});

describe("MaxSimIndex memory", () => {
  it("holds vectors in the codec's form, not float32: memory per token follows the codec", async () => {
    const tokens = corpus.offsets[400]!;
    const perToken: Record<string, number> = {};
    for (const codec of ["float32", "float16", "residual-2", "residual-4"] as const) {
      const index = MaxSimIndex.inMemory({ ...small, codec });
      await index.add(items);
      expect(index.trained).toBe(true);
      perToken[codec] = index.vectorBytesInMemory() / tokens;
      // The same bytes per token as on disk: the codec's form + a 2-byte centroid id.
      expect(perToken[codec]).toBe(index.bytesPerToken());
      // Decoded rows are what search scores: the exact scores equal naive MaxSim over get().
      const hits = await index.searchExact(queries[0]!, { k: 5 });
      for (const h of hits) expect(h.score).toBeCloseTo(naive(queries[0]!, index.get(h.id)!), 4);
    }
    expect(perToken["float32"]).toBe(4 * 32 + 2);
    expect(perToken["float16"]).toBe(2 * 32 + 2);
    expect(perToken["residual-4"]!).toBeLessThan(perToken["float16"]!);
    expect(perToken["residual-2"]!).toBeLessThan(perToken["residual-4"]!);
  });
});

describe("MaxSimIndex searches during writes", () => {
  it("a search racing an add that retrains sees one consistent state: the documents present when it started, with their exact scores", async () => {
    for (const codec of ["float32", "residual-2"] as const) {
      const index = MaxSimIndex.inMemory({ ...small, codec, minTrainTokens: 1500 });
      await index.add(items.slice(0, 200)); // trained (≈ 2600 tokens)
      const q = queries[0]!;
      const before = await index.searchExact(q, { k: 1000 });
      expect(before).toHaveLength(200);
      // 200 more documents double the tokens: the add retrains (new centroids, re-encoded rows).
      const [during, approx] = await Promise.all([index.searchExact(q, { k: 1000 }), index.search(q, { k: 10 }), index.add(items.slice(200))]);
      expect(during).toEqual(before);
      for (const h of approx) expect(Number.isFinite(h.score)).toBe(true);
      expect(index.trainedTokens).toBe(corpus.offsets[400]);
    }
  });
});

describe("MaxSimIndex bulk loads", () => {
  it("train once after the last add: a residual index loaded in 8 adds equals one loaded in a single add, and is closer to the input than one retrained at each doubling", async () => {
    const build = async (mode: "single" | "bulk" | "adds") => {
      const index = MaxSimIndex.inMemory({ ...small, codec: "residual-2", minTrainTokens: 400 });
      if (mode === "single") await index.add(items);
      else {
        const load = async () => {
          for (let i = 0; i < items.length; i += 50) await index.add(items.slice(i, i + 50));
        };
        if (mode === "bulk") await index.bulk(load);
        else await load();
      }
      return index;
    };
    const [single, bulk, adds] = await Promise.all([build("single"), build("bulk"), build("adds")]);
    expect(bulk.trainedTokens).toBe(corpus.offsets[400]);
    expect(adds.trainedTokens).toBeLessThan(corpus.offsets[400]!); // retrained at doublings, not on the last add
    const cos = (a: Float32Array, b: Float32Array) => {
      let s = 0;
      for (let d = 0; d < 32; d++) s += a[d]! * b[d]!;
      return s;
    };
    const meanCos = (index: MaxSimIndex) => {
      let sum = 0;
      let n = 0;
      items.forEach((it) => {
        const got = index.get(it.id)!.data;
        for (let t = 0; t < it.embeddings.length; t++) {
          sum += cos(got.subarray(t * 32, (t + 1) * 32), it.embeddings.data.subarray(t * 32, (t + 1) * 32));
          n++;
        }
      });
      return sum / n;
    };
    for (const it of items) expect(bulk.get(it.id)).toEqual(single.get(it.id));
    expect(meanCos(bulk)).toBeGreaterThan(meanCos(adds));
  });
});

describe("MaxSimIndex older formats", () => {
  it("opens a residual index written when untrained rows were float32: rows become float16, and it trains and reopens", async () => {
    const dir = await tempDir();
    // The layout the previous version wrote: residual-2 state, untrained, float32 `vectors` segments.
    const state = {
      format: 1,
      codec: "residual-2",
      minTrainTokens: 2000,
      centroids: null,
      seed: 1234,
      trained: false,
      trainedTokens: 0,
      trainError: 0,
      postTokens: 0,
      postErrorSum: 0,
      autoRetrain: true,
    };
    const store = await IndexStore.create(dir, { dim: 32, codec: "residual-2", meta: { maxsimIndex: state } });
    const old = items.slice(0, 100);
    const offsets = new Int32Array(old.length + 1);
    old.forEach((it, i) => (offsets[i + 1] = offsets[i]! + it.embeddings.length));
    const vectors = new Float32Array(offsets[old.length]! * 32);
    old.forEach((it, i) => vectors.set(it.embeddings.data.subarray(0, it.embeddings.length * 32), offsets[i]! * 32));
    await store.commit({ addSegments: [{ ids: old.map((it) => it.id), columns: { offsets, vectors } }] });
    await store.close();

    const index = await MaxSimIndex.open(dir);
    expect(index.size).toBe(100);
    expect(index.bytesPerToken()).toBe(2 * 32); // held as float16 now
    const hits = await index.searchExact(queries[0]!, { k: 5 });
    const expected = bruteForce(queries[0]!, new Map(old.map((it) => [it.id, it.embeddings])), 5);
    expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id));
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 2));
    await index.add(items.slice(100)); // crosses minTrainTokens: trains, rewrites everything as residuals
    expect(index.trained).toBe(true);
    const snapshot = await index.search(queries[1]!, { k: 10 });
    await index.close();
    const reopened = await MaxSimIndex.open(dir);
    expect(reopened.size).toBe(400);
    expect(await reopened.search(queries[1]!, { k: 10 })).toEqual(snapshot);
    await reopened.close();
  });
});

describe("MaxSimIndex open errors", () => {
  it("rejects a store that is not a MaxSimIndex and segments with inconsistent columns", async () => {
    const plain = await tempDir();
    await (await IndexStore.create(plain, { dim: 2 })).close();
    await expect(MaxSimIndex.open(plain)).rejects.toMatchObject({ code: "INVALID_OPTION" });

    const dir = await tempDir();
    const index = await MaxSimIndex.create(dir, { dim: 2 });
    await index.add([{ id: "a", embeddings: { data: new Float32Array([1, 0, 0, 1]), length: 2, dim: 2 } }]);
    await index.close();
    // A writer that is not MaxSimIndex adds a segment whose offsets claim more tokens than it holds.
    const store = await IndexStore.open(dir);
    await store.commit({ addSegments: [{ ids: ["b"], columns: { offsets: new Int32Array([0, 3]), vectors: new Float32Array([1, 0]) } }] });
    const file = store.manifest.segments[1]!.file;
    await store.close();
    const error = await MaxSimIndex.open(dir).catch((e: unknown) => e);
    expect(IndexCorruptError.isInstance(error)).toBe(true);
    expect((error as IndexCorruptError).file).toBe(file);
  });
});
