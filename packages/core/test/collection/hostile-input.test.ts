// Every input row of the hostile-input table gets a typed MaxsimError (never a raw TypeError,
// RangeError or SyntaxError), a call that fails validation commits nothing, and stored metadata is
// a copy that is the same live and after reopening.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";

let encoder: ColBERT;
let tmp: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-hostile-"));
});

afterAll(async () => {
  await encoder.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** The code of the MaxsimError `fn` throws (fails the test on any other outcome). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (MaxsimError.isInstance(error)) return error.code;
    throw new Error(`not a MaxsimError: ${String(error)}`, { cause: error });
  }
  throw new Error("did not throw");
}

describe("hostile arguments give typed errors", () => {
  it("Collection.create/open with missing, null or wrongly typed options", async () => {
    const dir = path.join(tmp, "create");
    expect(await codeOf(() => Collection.create(dir, {} as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(dir, null as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(null, { model: 42 } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(null, { model: {} } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(null, { model: [] } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(null, { model: encoder, codec: "int3" } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.create(42 as never, { model: encoder }))).toBe("INVALID_INPUT");
    expect(await codeOf(() => Collection.open(dir, null as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => Collection.open(null as never))).toBe("INVALID_INPUT");
    const message = await Collection.create(dir, { model: 42 } as never).catch((e: Error) => e.message);
    expect(message).toContain("options.model");
    expect(message).toContain("the number 42");
  });

  it("documents, ids, queries and options of the wrong type", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments([{ id: "a", text: "Le chat dort.", metadata: { lang: "fr" } }]);
    for (const bad of [null, "text", { text: "x" }, new Set([{ text: "x" }]), [{ text: 1 }], [null]]) {
      expect(await codeOf(() => c.addDocuments(bad as never))).toBe("INVALID_INPUT");
      expect(await codeOf(() => c.upsertDocuments(bad as never))).toBe("INVALID_INPUT");
    }
    expect(await codeOf(() => c.addDocuments([{ text: "x" }], { onBatch: "x" } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => c.addDocuments([{ text: "x" }], { batchSize: 0 }))).toBe("INVALID_OPTION");
    expect(await codeOf(() => c.deleteDocuments("ab" as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => c.getDocuments("ab" as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => c.queryBatch("abc" as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => c.query(42 as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => c.query("cat", null as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => c.query("cat", { k: "3" } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => c.query("cat", { filter: "lang" } as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => c.explain("cat", 42 as never))).toBe("INVALID_INPUT");
    expect(c.size).toBe(1);
    expect([...c.ids()]).toEqual(["a"]);
    await c.close();
  });

  it("metadata that cannot round-trip through JSON is refused before anything is encoded or committed", async () => {
    const c = await Collection.create(null, { model: encoder });
    const circular: Record<string, unknown> = {};
    circular["self"] = circular;
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const bad = [
      { n: 10n },
      circular,
      deep,
      { x: NaN },
      { x: Infinity },
      { when: new Date(0) },
      { m: new Map() },
      { a: [undefined] },
      { big: "x".repeat(70_000) },
    ];
    for (const metadata of bad) {
      const docs = [...Array.from({ length: 70 }, (_, i) => ({ id: `ok${i}`, text: "Le chat dort." })), { id: "bad", text: "Il pleut.", metadata }];
      // 71 documents = two batches of 64: the bad one is in the second, nothing of the first commits.
      expect(await codeOf(() => c.addDocuments(docs))).toBe("INVALID_INPUT");
      expect(c.size).toBe(0);
    }
    await c.close();
  });

  it("filters nested 5,000 deep or of the wrong type", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments([{ id: "a", text: "Le chat dort.", metadata: { lang: "fr" } }]);
    let deep: object = { lang: "fr" };
    for (let i = 0; i < 5000; i++) deep = { $or: [deep] };
    expect(await codeOf(() => c.query("cat", { filter: deep as never }))).toBe("INVALID_FILTER");
    expect(await codeOf(() => c.findIds(deep as never))).toBe("INVALID_FILTER");
    expect(await codeOf(() => c.findIds(null as never))).toBe("INVALID_FILTER");
    await c.close();
  });

  it("a closed collection says INDEX_CLOSED", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.close();
    expect(await codeOf(() => c.query("cat"))).toBe("INDEX_CLOSED");
    expect(await codeOf(() => c.addDocuments([{ text: "x" }]))).toBe("INDEX_CLOSED");
    expect(await codeOf(() => c.findIds({ a: 1 }))).toBe("INDEX_CLOSED");
  });

  it("MaxSimIndex: filters that are not a Set or predicate, setMeta(null), string ids", async () => {
    const dir = path.join(tmp, "index");
    const index = await MaxSimIndex.create(dir, { dim: 2 });
    const v = { data: new Float32Array([1, 0]), length: 1, dim: 2 };
    await index.add([{ id: "a", embeddings: v }]);
    for (const filter of [["a"], { a: true }, "a"]) {
      expect(await codeOf(() => index.search(v, { k: 1, filter: filter as never }))).toBe("INVALID_OPTION");
      expect(await codeOf(() => index.searchExact(v, { k: 1, filter: filter as never }))).toBe("INVALID_OPTION");
    }
    expect(await codeOf(() => index.setMeta(null as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => index.delete("ab" as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => index.add("ab" as never))).toBe("INVALID_INPUT");
    expect(await codeOf(() => index.searchExact(null as never, { k: 1 }))).toBe("INVALID_INPUT");
    expect(await codeOf(() => index.search({ data: [1, 0], length: 1, dim: 2 } as never, { k: 1 }))).toBe("INVALID_VECTOR");
    await index.close();
    const reopened = await MaxSimIndex.open(dir); // setMeta(null) did not make it unopenable
    expect(reopened.size).toBe(1);
    await reopened.close();
    expect(await codeOf(() => MaxSimIndex.create(path.join(tmp, "i2"), null as never))).toBe("INVALID_OPTION");
    expect(await codeOf(() => MaxSimIndex.open(path.join(tmp, "i2"), null as never))).toBe("INVALID_OPTION");
  });
});

describe("stored metadata is a copy", () => {
  it("mutating the caller's object later changes nothing, live equals reopened, undefined properties are dropped", async () => {
    const dir = path.join(tmp, "copy");
    const c = await Collection.create(dir, { model: encoder });
    const metadata = { lang: "fr", tags: ["a"], skip: undefined, zero: -0 };
    await c.addDocuments([{ id: "a", text: "Le chat dort.", metadata }]);
    metadata.tags.push("b");
    metadata.lang = "de";
    const live = (await c.getDocuments(["a"]))[0]!.metadata;
    expect(live).toEqual({ lang: "fr", tags: ["a"], zero: 0 });
    expect(Object.keys(live)).toEqual(["lang", "tags", "zero"]);
    expect(c.findIds({ lang: "fr" })).toEqual(["a"]);
    await c.close();
    const reopened = await Collection.open(dir, { model: encoder });
    expect((await reopened.getDocuments(["a"]))[0]!.metadata).toEqual(live);
    await reopened.close();
  });

  it("a __proto__ key from JSON stays a plain key and Object.prototype is untouched", async () => {
    const c = await Collection.create(null, { model: encoder });
    const metadata = JSON.parse('{"__proto__": {"polluted": true}, "lang": "fr"}') as Record<string, unknown>;
    await c.addDocuments([{ id: "a", text: "Le chat dort.", metadata }]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    const stored = (await c.getDocuments(["a"]))[0]!.metadata;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(stored, "__proto__")).toBe(true);
    await c.close();
  });
});
