// Two-tier indexes (residual codes in memory, float16 rows on disk): results are a float16
// index's, memory is the residual codec's, opening reads no tier blob, damage in a tier block is
// an IndexCorruptError naming the file and block, and a reader keeps its tier files until it
// moves on. Real index directories, the real ONNX Runtime kernels.
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexCorruptError, MaxsimError } from "../../src/errors.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import type { SearchHit } from "../../src/index/types.js";
import { tierReadThread } from "../../src/storage/tier-read-thread.js";

const DIM = 32;
const DOCS = 1200;
const corpus = syntheticCorpus({ docs: DOCS, dim: DIM, docLength: [8, 24], concepts: 256, seed: 11 });
const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i), payload: { n: i } }));
const queries = corpus.queries(12, 12, 3);
const TOKENS = corpus.offsets[DOCS]!;
const options = { dim: DIM, codec: "residual-2" as const, minTrainTokens: 4000, centroids: 64 };

let root: string;
let n = 0;
const freshDir = (): string => join(root, `idx-${n++}`);
let float16: MaxSimIndex;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-two-tier-"));
  float16 = MaxSimIndex.inMemory({ ...options, codec: "float16" });
  await float16.add(items);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function buildTwoTier(dir: string, batch = 300): Promise<MaxSimIndex> {
  const index = await MaxSimIndex.create(dir, { ...options, diskTier: "float16" });
  await index.bulk(async () => {
    for (let i = 0; i < DOCS; i += batch) await index.add(items.slice(i, i + batch));
  });
  return index;
}

/** Same ids in the same order, scores equal up to float32 summation order (kernels differ: float16 cast in-graph vs decoded rows). */
function expectSameHits(got: SearchHit[], want: SearchHit[]): void {
  expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
  got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 4));
}

const recall = (got: SearchHit[], want: SearchHit[]): number => got.filter((h) => want.some((w) => w.id === h.id)).length / want.length;

describe("two-tier MaxSimIndex (diskTier: float16)", () => {
  it("searchExact and rerank equal the float16 index; search finds its top 10; memory holds only the residual codes", async () => {
    const index = await buildTwoTier(freshDir());
    const residual = MaxSimIndex.inMemory(options);
    await residual.add(items);
    expect(index.trained).toBe(true);
    expect(index.vectorBytesInMemory()).toBe(residual.vectorBytesInMemory());
    expect(index.vectorBytesInMemory()).toBeLessThan((TOKENS * 2 * DIM) / 3);
    let total = 0;
    for (const q of queries) {
      const exact = await float16.searchExact(q, { k: 10 });
      expectSameHits(await index.searchExact(q, { k: 10 }), exact);
      const ids = exact.map((h) => h.id).reverse();
      expectSameHits(await index.rerank(q, ids, { k: 5 }), await float16.rerank(q, ids, { k: 5 }));
      const hits = await index.search(q, { k: 10 });
      // Final scores are float16 scores: every hit scores what the float16 index gives it.
      expectSameHits(
        hits,
        await float16.rerank(
          q,
          hits.map((h) => h.id),
        ),
      );
      total += recall(hits, exact);
    }
    expect(total / queries.length).toBeGreaterThanOrEqual(0.95);
    await index.close();
  });

  it("reopens with the same answers without reading any tier blob; a corrupt tier block fails the search that reads it, naming file and block", async () => {
    const dir = freshDir();
    const index = await buildTwoTier(dir);
    const before = await Promise.all(queries.map((q) => index.search(q, { k: 10 })));
    await index.close();
    // Flip a byte in the data of every tier blob: opening must not notice (it reads none)…
    const tiers = (await readdir(dir)).filter((f) => /^blob-\d{10}-tier-\d+\.bin$/.test(f));
    expect(tiers.length).toBe(DOCS / 300);
    const reopened = await MaxSimIndex.open(dir);
    expect(await Promise.all(queries.map((q) => reopened.search(q, { k: 10 })))).toEqual(before);
    expect(reopened.getPayload("doc-000007")).toEqual({ n: 7 });
    await reopened.close();
    for (const f of tiers) {
      const bytes = await readFile(join(dir, f));
      bytes[bytes.length - 100]! ^= 0x01; // the last block's data
      await writeFile(join(dir, f), bytes);
    }
    const damaged = await MaxSimIndex.open(dir);
    expect(damaged.size).toBe(DOCS);
    const e = await damaged.searchExact(queries[0]!, { k: 10 }).catch((x: unknown) => x);
    expect(IndexCorruptError.isInstance(e)).toBe(true);
    expect(tiers).toContain((e as IndexCorruptError).file);
    expect((e as Error).message).toMatch(/checksum mismatch in block \d+ \(rows \d+–\d+\)/);
    await damaged.close();
  });

  it("reads on the calling thread answer as the reader thread does; after a damaged block fails a search, the next ones still answer", async () => {
    const dir = freshDir();
    const index = await buildTwoTier(dir);
    const wide = { k: 10, candidates: 600, rescore: 600 };
    const onThread = await Promise.all(queries.map((q) => index.search(q, wide)));
    const exactOnThread = await index.searchExact(queries[1]!, { k: 10 });
    process.env.MAXSIM_TIER_READ_THREAD = "0";
    try {
      expect(await Promise.all(queries.map((q) => index.search(q, wide)))).toEqual(onThread);
      expect(await index.searchExact(queries[1]!, { k: 10 })).toEqual(exactOnThread);
    } finally {
      delete process.env.MAXSIM_TIER_READ_THREAD;
    }
    await index.close();
    const tier = (await readdir(dir)).find((f) => /^blob-\d{10}-tier-0\.bin$/.test(f))!;
    const bytes = await readFile(join(dir, tier));
    bytes[bytes.length - 100]! ^= 0x01;
    await writeFile(join(dir, tier), bytes);
    const damaged = await MaxSimIndex.open(dir);
    for (const thread of ["1", "0"]) {
      process.env.MAXSIM_TIER_READ_THREAD = thread;
      const e = await damaged.searchExact(queries[0]!, { k: 10 }).catch((x: unknown) => x);
      expect(IndexCorruptError.isInstance(e) && (e as IndexCorruptError).file).toBe(tier);
    }
    delete process.env.MAXSIM_TIER_READ_THREAD;
    // Reads that do not need the damaged block (tier-0 holds documents 0–299) still answer.
    expectSameHits(await damaged.rerank(queries[3]!, ["doc-001100", "doc-000900"]), await float16.rerank(queries[3]!, ["doc-001100", "doc-000900"]));
    await damaged.close();
  });

  it("wide rescoring (blocks read ahead while others are scored): a damaged block read ahead fails the search with its name, and a reader thread stopped mid-search is replaced", async () => {
    // 3,000 documents × 48–64 tokens: about 170k tokens, so rescoring all of them takes three
    // blocks of 2^16 tokens, two read ahead while the first is scored.
    const big = syntheticCorpus({ docs: 3000, dim: 16, docLength: [48, 64], concepts: 128, seed: 5 });
    const dir = freshDir();
    const index = await MaxSimIndex.create(dir, { dim: 16, codec: "residual-2", minTrainTokens: 20000, centroids: 32, diskTier: "float16" });
    await index.bulk(async () => {
      for (let i = 0; i < 3000; i += 1000) await index.add(big.ids.slice(i, i + 1000).map((id, x) => ({ id, embeddings: big.doc(i + x) })));
    });
    const q = big.queries(1, 8, 9)[0]!;
    const all = { k: 5, candidates: 3000, rescore: 3000, exact: false };
    const want = await index.search(q, all);
    expect(want).toHaveLength(5);
    // Stop the thread as each plan is posted to it: every read falls back to the calling thread.
    const thread = tierReadThread()!;
    const post = thread.run.bind(thread);
    let posted = 0;
    thread.run = (...args) => {
      const running = post(...args);
      posted++;
      void thread.terminate();
      return running;
    };
    expect(await index.search(q, all)).toEqual(want);
    expect(posted).toBeGreaterThanOrEqual(1);
    const next = tierReadThread()!;
    expect(next).not.toBe(thread); // restarted for the next reads
    expect(await index.search(q, all)).toEqual(want);
    await index.close();
    // Damage the last tier file: slots are rescored in order, so its rows are in the last block.
    const tiers = (await readdir(dir)).filter((f) => /^blob-\d{10}-tier-\d+\.bin$/.test(f)).sort();
    const last = tiers[tiers.length - 1]!;
    const bytes = await readFile(join(dir, last));
    bytes[bytes.length - 5000]! ^= 0x20;
    await writeFile(join(dir, last), bytes);
    const damaged = await MaxSimIndex.open(dir);
    try {
      for (const onThread of ["1", "0"]) {
        process.env.MAXSIM_TIER_READ_THREAD = onThread;
        const e = await damaged.search(q, all).catch((x: unknown) => x);
        expect(IndexCorruptError.isInstance(e) && (e as IndexCorruptError).file).toBe(last);
      }
    } finally {
      delete process.env.MAXSIM_TIER_READ_THREAD;
    }
    await damaged.close();
  });

  it("trains inside a bulk load once minTrainTokens is reached (memory holds codes, not float16, while the load runs)", async () => {
    const index = await MaxSimIndex.create(freshDir(), { ...options, diskTier: "float16" });
    const seen: boolean[] = [];
    await index.bulk(async () => {
      for (let i = 0; i < DOCS; i += 150) {
        await index.add(items.slice(i, i + 150));
        seen.push(index.trained);
      }
    });
    expect(seen).toEqual([false, true, true, true, true, true, true, true]);
    // The doubling rule retrains once at the end of the load, re-encoding from the disk tier.
    expect(index.trainedTokens).toBe(TOKENS);
    await index.close();
  });

  it("upserts, deletes and compaction keep results equal to float16 exact on the live documents", async () => {
    const dir = freshDir();
    const index = await buildTwoTier(dir);
    const f16 = MaxSimIndex.inMemory({ ...options, codec: "float16" });
    await f16.add(items.slice(300));
    const gone = items.slice(0, 300).map((i) => i.id);
    expect(await index.delete(gone)).toBe(300);
    const moved = { id: "doc-000500", embeddings: corpus.doc(7) };
    await index.upsert([moved]);
    await f16.upsert([moved]);
    await index.compact();
    for (const q of queries.slice(0, 4)) expectSameHits(await index.searchExact(q, { k: 10 }), await f16.searchExact(q, { k: 10 }));
    await index.close();
    const reopened = await MaxSimIndex.open(dir);
    expect(reopened.size).toBe(DOCS - 300);
    expectSameHits(await reopened.searchExact(queries[0]!, { k: 10 }), await f16.searchExact(queries[0]!, { k: 10 }));
    await reopened.close();
  });

  it("reopened after deletes (dropped at load, inverted lists rebuilt) and after adds to the reopened index, search answers as before close", async () => {
    const dir = freshDir();
    const index = await buildTwoTier(dir);
    await index.delete(items.filter((_, i) => i % 5 === 0).map((i) => i.id)); // not compacted: the load drops them
    const before = await Promise.all(queries.map((q) => index.search(q, { k: 10 })));
    expect(before.flat().some((h) => Number(h.id.slice(4)) % 5 === 0)).toBe(false);
    await index.close();
    const reopened = await MaxSimIndex.open(dir);
    expect(reopened.size).toBe(DOCS - DOCS / 5);
    expect(await Promise.all(queries.map((q) => reopened.search(q, { k: 10 })))).toEqual(before);
    // Documents added after the load's list build: copies of each query's best hit must be found.
    const tops = [...new Set(before.map((hits) => hits[0]!.id))];
    await reopened.add(tops.map((id) => ({ id: `copy-${id}`, embeddings: items.find((x) => x.id === id)!.embeddings })));
    const after = await Promise.all(queries.map((q) => reopened.search(q, { k: 10 })));
    after.forEach((hits, i) => expect(hits.map((h) => h.id)).toContain(`copy-${before[i]![0]!.id}`));
    await reopened.close();
    const again = await MaxSimIndex.open(dir, { readOnly: true });
    expect(await Promise.all(queries.map((q) => again.search(q, { k: 10 })))).toEqual(after);
    await again.close();
  });

  it("a reader keeps reading the tier files of its snapshot after the writer drops and garbage-collects them, until refresh()", async () => {
    const dir = freshDir();
    const writer = await buildTwoTier(dir);
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    const q = queries[1]!;
    const before = await reader.searchExact(q, { k: 10 }); // opens every tier file
    const firstTier = (await readdir(dir)).find((f) => /-tier-0\.bin$/.test(f))!;
    await writer.delete(items.slice(0, 300).map((i) => i.id)); // every document of tier-0
    await writer.compact(); // drops tier-0
    await writer.add([{ id: "x1", embeddings: corpus.doc(1) }]);
    await writer.add([{ id: "x2", embeddings: corpus.doc(2) }]); // tier-0 is now past retainGenerations
    expect(await readdir(dir)).not.toContain(firstTier);
    expect(await reader.searchExact(q, { k: 10 })).toEqual(before);
    expect(await reader.refresh()).toBe(true);
    const after = await reader.searchExact(q, { k: 10 });
    expect(after.every((h) => !h.id.startsWith("doc-0000") || Number(h.id.slice(4)) >= 300)).toBe(true);
    expectSameHits(after, await writer.searchExact(q, { k: 10 }));
    await reader.close();
    await writer.close();
  });

  it("a target no calibrated setting reaches runs the most thorough one, never an exact scan of the disk tier", async () => {
    const index = MaxSimIndex.inMemory({ ...options, diskTier: "float16" });
    await index.add(items);
    const c = index.calibration!;
    const best = [...c.grid].sort((a, b) => b.recall - a.recall || a.cost - b.cost)[0]!;
    // recall 1 + margin is beyond any measured point: out of reach.
    const plan = await index.explainSearch(queries[0]!, { k: 10, latencyBudgetMs: 0, targetRecall: 1 });
    expect([plan.kind, plan.reason]).toEqual(["approximate", "target-unreachable"]);
    expect(plan.settings).toEqual({ nprobe: best.nprobe, candidates: best.candidates, rescore: best.rescore });
    expect(plan.expectedRecall).toBe(best.recall);
    const hits = await index.search(queries[0]!, { k: 10, latencyBudgetMs: 0, targetRecall: 1 });
    expect(hits).toEqual(await index.search(queries[0]!, { k: 10, exact: false, ...plan.settings! }));
    // An in-memory index with the same target stays exact.
    const plain = MaxSimIndex.inMemory({ ...options });
    await plain.add(items);
    expect((await plain.explainSearch(queries[0]!, { k: 10, latencyBudgetMs: 0, targetRecall: 1 })).kind).toBe("exact");
  });

  it("rejects a disk tier without a residual codec", () => {
    for (const codec of ["float32", "float16"] as const) {
      const e = (() => {
        try {
          return MaxSimIndex.inMemory({ dim: DIM, codec, diskTier: "float16" });
        } catch (x) {
          return x;
        }
      })();
      expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_OPTION");
    }
    const inMemory = MaxSimIndex.inMemory({ ...options, diskTier: "float16" });
    // Untrained: float16 rows in the segments and in the disk tier.
    expect(inMemory.bytesPerToken()).toBe(2 * 2 * DIM);
  });
});
