// MaxSimIndex.refresh(): read-only indexes adopt what a writer (same process or a child process)
// committed since they were opened, on real index directories.
import { execFile } from "node:child_process";
import fsp, { mkdtemp, readdir, rm } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import type { TokenVectors } from "../../src/types.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-refresh-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));
const freshDir = (): string => join(root, `idx-${n++}`);

const DIM = 4;
/** One-token document on unit axis `axis` (scaled by `w`). */
function unit(axis: number, w = 1): TokenVectors {
  const data = new Float32Array(DIM);
  data[axis] = w;
  return { data, length: 1, dim: DIM };
}
const ids = (hits: { id: string }[]): string[] => hits.map((h) => h.id);

describe("MaxSimIndex.refresh", () => {
  it("a reader keeps its snapshot until refresh() adopts the writer's new documents; nothing new → false", async () => {
    const dir = freshDir();
    const writer = await MaxSimIndex.create(dir, { dim: DIM });
    await writer.add([
      { id: "a", embeddings: unit(0), payload: { t: "a" } },
      { id: "b", embeddings: unit(1), payload: { t: "b" } },
    ]);
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    expect(await reader.refresh()).toBe(false);
    expect(ids(await reader.search(unit(2), { k: 1 }))).toEqual(["a"]); // ties at 0, by id
    await writer.add([{ id: "c", embeddings: unit(2), payload: { t: "c" } }]);
    expect(ids(await reader.search(unit(2), { k: 1 }))).toEqual(["a"]); // old snapshot
    expect(reader.has("c")).toBe(false);
    expect(await reader.refresh()).toBe(true);
    expect(await reader.search(unit(2), { k: 1 })).toEqual([{ id: "c", score: 1, normalizedScore: 1 }]);
    expect(reader.getPayload("c")).toEqual({ t: "c" });
    expect([...reader.ids()]).toEqual(["a", "b", "c"]);
    expect(await reader.refresh()).toBe(false);
    // Deletes and upserts become visible too.
    await writer.delete(["a"]);
    await writer.upsert([{ id: "b", embeddings: unit(3), payload: { t: "b2" } }]);
    expect(reader.has("a")).toBe(true);
    expect(await reader.refresh()).toBe(true);
    expect(reader.has("a")).toBe(false);
    expect(reader.size).toBe(2);
    expect(reader.getPayload("b")).toEqual({ t: "b2" });
    expect(await reader.searchExact(unit(3), { k: 3 })).toEqual([
      { id: "b", score: 1, normalizedScore: 1 },
      { id: "c", score: 0, normalizedScore: 0 },
    ]);
    // Owner metadata follows the snapshot too.
    await writer.setMeta({ owner: "v2" });
    expect(reader.meta).toEqual({});
    expect(await reader.refresh()).toBe(true);
    expect(reader.meta).toEqual({ owner: "v2" });
    // A writer is always current.
    expect(await writer.refresh()).toBe(false);
    await reader.close();
    await writer.close();
    await expect(reader.refresh()).rejects.toMatchObject({ code: "INDEX_CLOSED" });
  });

  it("a reader many generations behind (its files garbage-collected, centroids trained meanwhile) refreshes to what a fresh open sees", async () => {
    const dir = freshDir();
    const corpus = syntheticCorpus({ docs: 120, dim: 8, docLength: [4, 6], concepts: 8, seed: 7 });
    const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i), payload: { i } }));
    const writer = await MaxSimIndex.create(dir, { dim: 8, minTrainTokens: 200, centroids: 8 });
    await writer.add(items.slice(0, 10));
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    const oldFiles = (await readdir(dir)).filter((f) => f.startsWith("seg-"));
    for (let b = 10; b < 120; b += 10) await writer.add(items.slice(b, b + 10)); // trains, then retrains
    await writer.delete(corpus.ids.slice(0, 5));
    await writer.compact();
    expect(writer.trained).toBe(true);
    // The reader's own segment files are gone: reading its snapshot now would be INDEX_STALE.
    const now = await readdir(dir);
    expect(oldFiles.some((f) => now.includes(f))).toBe(false);
    expect(reader.size).toBe(10);
    expect(reader.trained).toBe(false);
    expect(await reader.refresh()).toBe(true);
    const fresh = await MaxSimIndex.open(dir, { readOnly: true });
    expect(reader.size).toBe(115);
    expect(reader.trained).toBe(true);
    expect([...reader.ids()]).toEqual([...fresh.ids()]);
    expect(reader.trainedTokens).toBe(fresh.trainedTokens);
    for (const query of corpus.queries(5, 4, 11)) {
      expect(await reader.search(query, { k: 5 })).toEqual(await fresh.search(query, { k: 5 }));
      expect(await reader.searchExact(query, { k: 5 })).toEqual(await writer.searchExact(query, { k: 5 }));
    }
    expect(reader.getPayload(corpus.ids[100]!)).toEqual({ i: 100 });
    await Promise.all([reader.close(), fresh.close(), writer.close()]);
  });

  it("searches running while refresh() swaps see the old or the new snapshot entirely", async () => {
    const dir = freshDir();
    const corpus = syntheticCorpus({ docs: 300, dim: 16, docLength: [8, 12], concepts: 16, seed: 3 });
    const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
    const writer = await MaxSimIndex.create(dir, { dim: 16 });
    await writer.add(items.slice(0, 150));
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    await writer.add(items.slice(150));
    await writer.delete(corpus.ids.slice(0, 50));
    const [query] = corpus.queries(1, 6, 5) as [TokenVectors];
    const oldHits = await reader.searchExact(query, { k: 10 });
    const fresh = await MaxSimIndex.open(dir, { readOnly: true });
    const newHits = await fresh.searchExact(query, { k: 10 });
    expect(newHits).not.toEqual(oldHits);
    // A long batch (many ONNX Runtime calls, awaited one after another) spans the reload and swap.
    const before = reader.searchExactBatch(
      Array.from({ length: 2000 }, () => query),
      { k: 10 },
    );
    const refreshed = reader.refresh();
    const during = Array.from({ length: 4 }, () => reader.search(query, { k: 10 }));
    expect(await refreshed).toBe(true);
    for (const hits of await before) expect(hits).toEqual(oldHits);
    for (const hits of await Promise.all(during)) expect([oldHits, newHits]).toContainEqual(hits);
    expect(await reader.searchExact(query, { k: 10 })).toEqual(newHits);
    await Promise.all([reader.close(), fresh.close(), writer.close()]);
  });

  it("adopts documents a writer in a child process committed (and deleted)", async () => {
    const dir = freshDir();
    const writer = await MaxSimIndex.create(dir, { dim: DIM });
    await writer.add([{ id: "seed", embeddings: unit(0) }]);
    await writer.close(); // the child takes the writer lock
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", join(here, "refresh-writer.ts"), dir, "child-", "4", "1", "--delete", "seed"],
      {
        cwd: packageRoot,
      },
    );
    expect(stdout).toBe("done 4\n");
    expect([...reader.ids()]).toEqual(["seed"]);
    expect(await reader.refresh()).toBe(true); // 5 generations later: its snapshot was collected
    expect([...reader.ids()]).toEqual(["child-0", "child-1", "child-2", "child-3"]);
    expect(reader.getPayload("child-2")).toEqual({ i: 2 });
    expect((await reader.search(unit(1), { k: 1 }))[0]).toEqual({ id: "child-0", score: 1, normalizedScore: 1 });
    expect(await reader.refresh()).toBe(false);
    await reader.close();
  });

  it("a writer garbage-collecting the snapshot being reloaded → refresh() retries from the newest manifest; endlessly → INDEX_STALE, and a later refresh() recovers", async () => {
    const dir = freshDir();
    const corpus = syntheticCorpus({ docs: 60, dim: 8, docLength: [4, 6], concepts: 8, seed: 9 });
    const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i) }));
    const writer = await MaxSimIndex.create(dir, { dim: 8 });
    await writer.add(items.slice(0, 5));
    const reader = await MaxSimIndex.open(dir, { readOnly: true });
    let next = 5;
    // Rewrites every segment and commits twice more: the files of the snapshot being read are deleted.
    const collect = async (): Promise<void> => {
      await writer.compact();
      await writer.add(items.slice(next, next + 1));
      await writer.add(items.slice(next + 1, next + 2));
      next += 2;
    };
    // The store opens segments with fs/promises open (then fstat + read): run the writer's commits
    // just before a segment is opened for reading (not the writer's own temp files).
    const original = fsp.open;
    let interfere = 0;
    fsp.open = (async (...args: Parameters<typeof original>) => {
      const path = String(args[0]);
      if (interfere > 0 && path.includes("seg-") && !path.includes(".tmp-") && args[1] !== "wx") {
        interfere--;
        await collect();
      }
      return original(...args);
    }) as typeof original;
    syncBuiltinESMExports();
    try {
      await writer.add(items.slice(next, next + 5));
      next += 5;
      interfere = 1; // once: the retry loads the newest snapshot
      expect(await reader.refresh()).toBe(true);
      expect(interfere).toBe(0);
      expect([...reader.ids()]).toEqual([...writer.ids()]);
      expect(reader.size).toBe(12);
      await writer.add(items.slice(next, next + 1));
      next += 1;
      interfere = 100; // every load: bounded retries, then a typed error with the fix
      const error = await reader.refresh().catch((e: unknown) => e);
      expect(MaxsimError.isInstance(error) && error.code).toBe("INDEX_STALE");
      expect((error as Error).message).toMatch(/garbage-collected 5 snapshots in a row.*Call refresh\(\) \(or open\) again/);
      expect(interfere).toBe(95);
      expect(reader.size).toBe(12); // the old snapshot is still served, whole
      const [query] = corpus.queries(1, 4, 2) as [TokenVectors];
      expect((await reader.searchExact(query, { k: 20 })).length).toBe(12);
    } finally {
      fsp.open = original;
      syncBuiltinESMExports();
    }
    expect(await reader.refresh()).toBe(true); // the store had moved on already: memory catches up
    expect([...reader.ids()]).toEqual([...writer.ids()]);
    expect(reader.size).toBe(23);
    await Promise.all([reader.close(), writer.close()]);
  });

  it("in memory, refresh() is a no-op (the index is its own writer)", async () => {
    const index = MaxSimIndex.inMemory({ dim: DIM });
    await index.add([{ id: "a", embeddings: unit(0) }]);
    expect(await index.refresh()).toBe(false);
    expect(index.size).toBe(1);
    expect(MaxsimError.isInstance(await index.close())).toBe(false);
  });
});
