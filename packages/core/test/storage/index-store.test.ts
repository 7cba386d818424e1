import { mkdir, mkdtemp, readdir, rm, rmdir, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { IndexStore, ReadBuffer, type IndexStore as Store } from "../../src/storage/index.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-store-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `idx-${n++}`);

const code = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return MaxsimError.isInstance(e) ? e.code : `non-maxsim: ${String(e)}`;
  }
  return undefined;
};

const batch = (prefix: string, count: number, dim: number) => ({
  ids: Array.from({ length: count }, (_, i) => `${prefix}${i}`),
  columns: {
    vectors: Float32Array.from({ length: count * dim }, (_, i) => i / 7 - 3),
    offsets: Int32Array.from({ length: count + 1 }, (_, i) => i),
    codes: Uint8Array.from({ length: count * 3 }, (_, i) => (i * 37) & 255),
    halves: Uint16Array.from([0x3c00, 0xffff]),
    f64: Float64Array.from([Math.PI, -0]),
  },
  payloads: Array.from({ length: count }, (_, i) => ({ text: `doc ${prefix}${i} ✓`, metadata: { n: i, tags: ["a"] } })),
});

/** The same scenario against both implementations: their observable behaviour must agree. */
async function scenario(store: Store) {
  expect(store.manifest.generation).toBe(0);
  expect(store.manifest.dim).toBe(4);
  expect(store.manifest.codec).toBe("float16");
  expect(store.manifest.meta).toEqual({ model: "m", config: { k: 1 } });
  const b1 = batch("a", 5, 4);
  const m1 = await store.commit({ addSegments: [{ ...b1, meta: { tokens: 5 } }], blobs: { centroids: new Uint8Array([1, 2, 3]) } });
  expect(m1.generation).toBe(1);
  expect(m1.segments.map((s) => [s.name, s.rows, s.meta])).toEqual([["seg-0000000001-0", 5, { tokens: 5 }]]);
  const s1 = await store.readSegment("seg-0000000001-0");
  expect(s1.ids).toEqual(b1.ids);
  expect(s1.payloads).toEqual(b1.payloads);
  for (const [k, v] of Object.entries(b1.columns)) {
    expect(s1.columns[k]?.constructor).toBe(v.constructor);
    expect(Array.from(s1.columns[k]!)).toEqual(Array.from(v));
  }
  expect(Object.is(s1.columns.f64![1], -0)).toBe(true);
  expect(Array.from((await store.readBlob("centroids"))!)).toEqual([1, 2, 3]);
  expect(await store.readBlob("absent")).toBeUndefined();
  // Upsert a1, delete a3 and an unknown id, replace the blob, set meta.
  const m2 = await store.commit({
    deleteIds: ["a1", "a3", "zzz"],
    addSegments: [{ ids: ["a1", "b0"], columns: { vectors: new Float32Array(8).fill(0.5) } }],
    blobs: { centroids: new Uint8Array([9]), "plaid-state": new Uint8Array(0) },
    meta: { model: "m2" },
  });
  expect(m2.generation).toBe(2);
  expect(m2.segments.map((s) => [s.name, s.deleted])).toEqual([
    ["seg-0000000001-0", ["a1", "a3"]],
    ["seg-0000000002-0", []],
  ]);
  expect((await store.readSegment("seg-0000000001-0")).deleted).toEqual(new Set(["a1", "a3"]));
  expect(await store.readSegmentIds("seg-0000000002-0")).toEqual(["a1", "b0"]);
  expect((await store.readSegment("seg-0000000002-0")).payloads).toBeUndefined();
  expect(Array.from((await store.readBlob("centroids"))!)).toEqual([9]);
  expect((await store.readBlob("plaid-state"))!.length).toBe(0);
  expect(store.manifest.meta).toEqual({ model: "m2" });
  // Compaction: replace both segments by one; drop a blob.
  const m3 = await store.commit({
    removeSegments: ["seg-0000000001-0", "seg-0000000002-0"],
    addSegments: [{ ids: ["a0", "a1", "a2", "a4", "b0"], columns: {} }],
    blobs: { "plaid-state": null },
  });
  expect(m3.segments.map((s) => s.name)).toEqual(["seg-0000000003-0"]);
  expect(Object.keys(m3.blobs)).toEqual(["centroids"]);
  expect(await code(store.readSegment("seg-0000000001-0"))).toBe("NOT_FOUND");
  // Invalid requests change nothing.
  expect(await code(store.commit({ removeSegments: ["nope"] }))).toBe("NOT_FOUND");
  expect(await code(store.commit({ blobs: { "../evil": new Uint8Array(1) } }))).toBe("INVALID_ID");
  expect(await code(store.commit({ blobs: { Upper: new Uint8Array(1) } }))).toBe("INVALID_ID");
  expect(await code(store.commit({ addSegments: [{ ids: ["x", "x"], columns: {} }] }))).toBe("DUPLICATE_ID");
  expect(await code(store.commit({ addSegments: [{ ids: ["x"], columns: {}, payloads: [] }] }))).toBe("INVALID_INPUT");
  expect(await code(store.commit({ addSegments: [{ ids: ["x"], columns: { v: [1, 2] as unknown as Float32Array } }] }))).toBe("INVALID_INPUT");
  expect(await code(store.commit({ meta: { big: 1n } as unknown as Record<string, unknown> }))).toBe("INVALID_INPUT");
  expect(store.manifest.generation).toBe(3);
  // Concurrent commits are serialised, each on top of the previous.
  const [c1, c2] = await Promise.all([
    store.commit({ addSegments: [{ ids: ["c1"], columns: {} }] }),
    store.commit({ addSegments: [{ ids: ["c2"], columns: {} }] }),
  ]);
  expect([c1.generation, c2.generation]).toEqual([4, 5]);
  expect(c2.segments.map((s) => s.name)).toEqual(["seg-0000000003-0", "seg-0000000004-0", "seg-0000000005-0"]);
  await store.close();
  expect(await code(store.readSegment("seg-0000000003-0"))).toBe("INDEX_CLOSED");
  expect(await code(() => store.commit({}))).toBe("INDEX_CLOSED");
}

const createOptions = { dim: 4, codec: "float16", meta: { model: "m", config: { k: 1 } } };

describe("IndexStore", () => {
  it("round-trips segments, tombstones, blobs and meta on disk", async () => {
    const dir = freshDir();
    await scenario(await IndexStore.create(dir, createOptions));
    const reopened = await IndexStore.open(dir);
    expect(reopened.manifest.generation).toBe(5);
    expect(reopened.manifest.meta).toEqual({ model: "m2" });
    expect((await reopened.readSegment("seg-0000000003-0")).ids).toEqual(["a0", "a1", "a2", "a4", "b0"]);
    expect(Array.from((await reopened.readBlob("centroids"))!)).toEqual([9]);
    await reopened.close();
    // Only the files of the last two generations remain (plus nothing else of ours).
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      "blob-0000000002-centroids.bin",
      "manifest-0000000004.json",
      "manifest-0000000005.json",
      "seg-0000000003-0.seg",
      "seg-0000000004-0.seg",
      "seg-0000000005-0.seg",
    ]);
  });

  it("behaves the same in memory", async () => {
    await scenario(IndexStore.inMemory(createOptions));
  });

  it("in memory, committed data is a copy of the caller's arrays", async () => {
    const store = IndexStore.inMemory({ dim: 2 });
    const vectors = new Float32Array([1, 2]);
    const m = await store.commit({ addSegments: [{ ids: ["a"], columns: { vectors } }] });
    vectors[0] = 99;
    expect(Array.from((await store.readSegment(m.segments[0]!.name)).columns.vectors!)).toEqual([1, 2]);
  });

  it("create and open report existing, missing and invalid indexes", async () => {
    const dir = freshDir();
    expect(await code(IndexStore.open(dir))).toBe("INDEX_NOT_FOUND");
    expect(await code(IndexStore.open(dir, { readOnly: true }))).toBe("INDEX_NOT_FOUND");
    expect(await code(IndexStore.create(dir, { dim: 0 }))).toBe("INVALID_OPTION");
    expect(await code(IndexStore.create(dir, { dim: 2, codec: "Bad/Codec" }))).toBe("INVALID_OPTION");
    const badMeta = { big: 1n } as unknown as Record<string, unknown>;
    expect(await code(IndexStore.create(dir, { dim: 2, meta: badMeta }))).toBe("INVALID_INPUT");
    expect(await code(() => IndexStore.inMemory({ dim: 2, meta: badMeta }))).toBe("INVALID_INPUT");
    const store = await IndexStore.create(dir, { dim: 2 });
    expect(store.manifest.codec).toBe("float32");
    await store.close();
    expect(await code(IndexStore.create(dir, { dim: 2 }))).toBe("INDEX_EXISTS");
    const reader = await IndexStore.open(dir, { readOnly: true });
    expect(await code(() => reader.commit({}))).toBe("INDEX_READ_ONLY");
  });

  it("readers see committed snapshots only after refresh, and old snapshots until collected", async () => {
    const dir = freshDir();
    const writer = await IndexStore.create(dir, { dim: 2 });
    const reader = await IndexStore.open(dir, { readOnly: true });
    const m1 = await writer.commit({ addSegments: [{ ids: ["a"], columns: {} }] });
    expect(reader.manifest.generation).toBe(0);
    expect(await reader.refresh()).toBe(true);
    expect(reader.manifest.segments.map((s) => s.name)).toEqual([m1.segments[0]!.name]);
    expect(await reader.refresh()).toBe(false);
    // Compaction at generation 2: the reader, still on 1, can read its segment (retained)...
    await writer.commit({ removeSegments: [m1.segments[0]!.name], addSegments: [{ ids: ["a", "b"], columns: {} }] });
    expect((await reader.readSegment(m1.segments[0]!.name)).ids).toEqual(["a"]);
    // ...until one more generation makes it collectable: then a typed error tells it to refresh.
    await writer.commit({ addSegments: [{ ids: ["c"], columns: {} }] });
    expect(await code(reader.readSegment(m1.segments[0]!.name))).toBe("INDEX_STALE");
    await reader.refresh();
    expect(reader.manifest.generation).toBe(3);
    expect((await reader.readSegment(reader.manifest.segments[0]!.name)).ids).toEqual(["a", "b"]);
    await writer.close();
  });

  it("a writer open removes a crashed writer's leftovers and nothing else", async () => {
    const dir = freshDir();
    const store = await IndexStore.create(dir, { dim: 1 });
    await store.commit({ addSegments: [{ ids: ["a"], columns: {} }] });
    await store.close();
    const leftovers = [
      ".tmp-0a1b2c-seg-0000000002-0.seg",
      "seg-0000000002-0.seg",
      "blob-0000000002-x.bin",
      ".tmp-0a1b2c-manifest-0000000002.json",
      ".tmp-99-old-LOCK",
    ];
    const foreign = ["notes.txt", ".tmp-0a1b2c-docs.jsonl", ".tmp-77-LOCK", "seg-x.seg"];
    for (const f of [...leftovers, ...foreign]) await writeFile(join(dir, f), "x");
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, ".tmp-99-old-LOCK"), old, old);
    const writer = await IndexStore.open(dir);
    const files = await readdir(dir);
    expect(files.filter((f) => leftovers.includes(f))).toEqual([]);
    expect(foreign.every((f) => files.includes(f))).toBe(true);
    expect((await writer.readSegment("seg-0000000001-0")).ids).toEqual(["a"]);
    await writer.close();
  });

  it("a commit that fails to write changes nothing, and the next one succeeds", async () => {
    const dir = freshDir();
    const store = await IndexStore.create(dir, { dim: 1 });
    await store.commit({ addSegments: [{ ids: ["a"], columns: {} }] });
    // A directory where the blob file must go makes its rename fail (works even as root).
    await mkdir(join(dir, "blob-0000000002-x.bin"));
    expect(await code(store.commit({ addSegments: [{ ids: ["b"], columns: {} }], blobs: { x: new Uint8Array([1]) } }))).toBe("IO_ERROR");
    expect(store.manifest.generation).toBe(1);
    const reader = await IndexStore.open(dir, { readOnly: true });
    expect(reader.manifest.segments.map((s) => s.name)).toEqual(["seg-0000000001-0"]);
    await rmdir(join(dir, "blob-0000000002-x.bin"));
    const m = await store.commit({ addSegments: [{ ids: ["c"], columns: {} }], blobs: { x: new Uint8Array([2]) } });
    expect(m.generation).toBe(2);
    expect(await store.readSegmentIds("seg-0000000002-0")).toEqual(["c"]);
    expect(Array.from((await store.readBlob("x"))!)).toEqual([2]);
    await store.close();
  });

  it("readSegment into a ReadBuffer reads the same contents, segment after segment, into one reused buffer", async () => {
    const store = await IndexStore.create(freshDir(), { dim: 4 });
    const m = await store.commit({ addSegments: [batch("a", 5, 4), batch("b", 9, 4), batch("c", 2, 4)] });
    const into = new ReadBuffer();
    const buffers = new Set<ArrayBufferLike>();
    for (const e of m.segments) {
      const plain = await store.readSegment(e.name);
      const reused = await store.readSegment(e.name, into);
      expect(reused).toEqual(plain);
      buffers.add(reused.columns["vectors"]!.buffer);
    }
    // Sized for the largest segment at its first read, smaller ones fit: one buffer for all three.
    const sized = new ReadBuffer(Math.max(...m.segments.map((e) => e.bytes)));
    const views = new Set<ArrayBufferLike>();
    for (const e of m.segments) views.add((await store.readSegment(e.name, sized)).columns["vectors"]!.buffer);
    expect(views.size).toBe(1);
    expect(buffers.size).toBeLessThanOrEqual(2); // grown at most once (5 rows, then 9)
    await store.close();
  });

  it("ids with path characters are data, never file names", async () => {
    const dir = freshDir();
    const store = await IndexStore.create(dir, { dim: 1 });
    const ids = ["../../etc/passwd", "/abs", "a\0b", "C:\\x", "ünï"];
    const m = await store.commit({ addSegments: [{ ids, columns: {} }] });
    expect(await store.readSegmentIds(m.segments[0]!.name)).toEqual(ids);
    expect((await readdir(dir)).every((f) => /^(manifest-\d+\.json|seg-\d+-\d+\.seg|LOCK)$/.test(f))).toBe(true);
    expect(await code(store.readSegment("../seg"))).toBe("NOT_FOUND");
    await store.close();
  });
});
