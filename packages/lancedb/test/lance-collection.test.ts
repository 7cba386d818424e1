// LanceCollection on a real LanceDB table in a temp dir, with the real multilingual fixture
// encoder; core's in-memory Collection over the same documents is the reference for scores/order.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ColBERT, Collection, MaxsimError } from "@maxsim/core";
import type { DocumentInput } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { LanceCollection } from "../src/index.js";

const DOCS: DocumentInput[] = [
  { id: "fr-cat", text: "Le chat noir dort dans la maison.", metadata: { lang: "fr", year: 2020, tags: ["pets", "home"], author: { name: "Ana" } } },
  { id: "fr-market", text: "Mon père achète du pain au marché.", metadata: { lang: "fr", year: 2021, tags: ["food"] } },
  { id: "fr-winter", text: "La neige tombe en hiver sur la montagne.", metadata: { lang: "fr", year: 2019, title: "hiver blanc" } },
  { id: "de-dog", text: "Der Hund trinkt Wasser im Garten.", metadata: { lang: "de", year: 2022, tags: ["pets"], author: { name: "Bo" } } },
  { id: "de-library", text: "Die Lehrerin liest ein Buch in der Bibliothek.", metadata: { lang: "de", year: 2023, draft: true } },
  { id: "de-train", text: "Der Zug fährt schnell zum Flughafen.", metadata: { lang: "de", year: 2018, draft: false, note: null } },
];
const QUERIES = ["the black cat sleeps in the house", "el perro bebe agua en el jardín", "the fast train to the airport", "bread at the market"];

let encoder: ColBERT;
let other: ColBERT;
let root: string;
let lance: LanceCollection;
let core: Collection;

beforeAll(async () => {
  const fx = await ensureFixtures();
  encoder = await ColBERT.fromPretrained(fx.multilingual);
  other = await ColBERT.fromPretrained(fx.lexical);
  root = await mkdtemp(join(tmpdir(), "maxsim-lance-"));
  lance = await LanceCollection.create(join(root, "db"), { model: encoder });
  await lance.addDocuments(DOCS, { batchSize: 4 });
  core = await Collection.create(null, { model: encoder });
  await core.addDocuments(DOCS);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await lance?.close();
  await core?.close();
  await encoder?.dispose();
  await other?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("LanceCollection", () => {
  it("stores every document with its text and metadata", async () => {
    expect(lance.size).toBe(6);
    const [cat, none] = await lance.getDocuments(["fr-cat", "nope"]);
    expect(cat).toEqual({ id: "fr-cat", text: DOCS[0]!.text, metadata: DOCS[0]!.metadata });
    expect(none).toBeUndefined();
  });

  it("ranks like core's exact search, with core's MaxSim scores", async () => {
    for (const q of QUERIES) {
      const got = await lance.query(q, { k: 6 });
      const want = await core.query(q, { k: 6, exact: true });
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      for (let i = 0; i < got.length; i++) expect(got[i]!.score).toBeCloseTo(want[i]!.score, 5);
    }
  });

  it("answers cross-lingual queries", async () => {
    expect((await lance.query("el perro bebe agua en el jardín", { k: 1 }))[0]!.id).toBe("de-dog");
  });

  it("filters like core for every operator", async () => {
    const filters = [
      { lang: "de" },
      { year: { $gte: 2021 } },
      { year: { $gt: 2019, $lt: 2023 } },
      { tags: "pets" },
      { tags: { $contains: "food" } },
      { title: { $contains: "hiv" } },
      { lang: { $in: ["fr", "xx"] } },
      { lang: { $nin: ["fr"] } },
      { lang: { $ne: "fr" } },
      { draft: true },
      { draft: { $ne: true } },
      { note: null },
      { "author.name": "Bo" },
      { $or: [{ lang: "fr", year: { $lte: 2019 } }, { draft: false }] },
      { $and: [{ lang: "de" }, { tags: { $in: ["pets"] } }] },
      { missing: "x" },
      { missing: { $ne: "x" } },
      { year: { $gt: "2000" } },
    ];
    for (const filter of filters) {
      const want = core.findIds(filter).sort();
      expect((await lance.findIds(filter)).sort(), JSON.stringify(filter)).toEqual(want);
      const hits = await lance.query("the black cat", { k: 10, filter });
      const ref = await core.query("the black cat", { k: 10, filter, exact: true });
      expect(
        hits.map((h) => h.id),
        JSON.stringify(filter),
      ).toEqual(ref.map((h) => h.id));
    }
  });

  it("accepts predicate filters", async () => {
    const hits = await lance.query("the dog", { k: 10, filter: (m, id) => m.lang === "de" && id !== "de-dog" });
    expect(hits.map((h) => h.id).sort()).toEqual(["de-library", "de-train"]);
  });

  it("refuses malformed filters with INVALID_FILTER", async () => {
    await expect(lance.query("x", { filter: { lang: { $regex: "f" } } as never })).rejects.toMatchObject({ code: "INVALID_FILTER" });
    await expect(lance.deleteWhere({})).rejects.toMatchObject({ code: "INVALID_FILTER" });
  });

  it("explains hits with the same score as the query", async () => {
    const [hit] = await lance.query("the black cat", { k: 1 });
    const e = await lance.explain("the black cat", hit!.id);
    expect(e.score).toBeCloseTo(hit!.score, 5);
    expect(e.matches.some((m) => m.docToken === "chat" && m.span !== null)).toBe(true);
    await expect(lance.explain("x", "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    // An id with a NUL character cannot be a stored id: NOT_FOUND, not a filter error.
    await expect(lance.explain("x", "a\u0000b")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("queryBatchExplained encodes each query once and explains every hit as explain does", async () => {
    // The real encoder, observed: it still runs the model.
    const spy = vi.spyOn(encoder, "encodeQueries");
    const queries = ["the black cat", "el perro bebe agua"];
    const lists = await lance.queryBatchExplained(queries, { k: 3, filter: { year: { $gte: 2019 } } });
    expect(spy.mock.calls.map((call) => call[0])).toEqual([queries]);
    spy.mockRestore();
    const plain = await lance.queryBatch(queries, { k: 3, filter: { year: { $gte: 2019 } } });
    expect(lists.map((l) => l.map((h) => [h.id, h.score, h.text, h.metadata]))).toEqual(plain.map((l) => l.map((h) => [h.id, h.score, h.text, h.metadata])));
    for (const [i, list] of lists.entries()) {
      for (const hit of list) {
        const e = await lance.explain(queries[i]!, hit.id);
        expect(hit.explanation.score).toBeCloseTo(hit.score, 5);
        expect(hit.explanation.matches.map((m) => [m.queryToken, m.docIndex, m.docToken, m.span])).toEqual(
          e.matches.map((m) => [m.queryToken, m.docIndex, m.docToken, m.span]),
        );
      }
    }
    expect(await lance.queryBatchExplained(["cat"], { k: 0 })).toEqual([[]]);
    expect(await lance.queryBatchExplained([])).toEqual([]);
  });

  it("handles k = 0 and bad k", async () => {
    expect(await lance.query("cat", { k: 0 })).toEqual([]);
    await expect(lance.query("cat", { k: -1 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});

describe("LanceCollection writes", () => {
  it("adds, refuses duplicates, upserts and deletes by id and filter", async () => {
    const c = await LanceCollection.create(join(root, "writes"), { model: encoder, vectorType: "float16" });
    await c.addDocuments(DOCS);
    await expect(c.addDocuments([{ id: "fr-cat", text: "x" }])).rejects.toMatchObject({ code: "DUPLICATE_ID" });
    await expect(
      c.addDocuments([
        { id: "a", text: "x" },
        { id: "a", text: "y" },
      ]),
    ).rejects.toMatchObject({ code: "DUPLICATE_ID" });
    await c.upsertDocuments([
      { id: "fr-cat", text: "Der Hund bellt.", metadata: { lang: "de", v: 2 } },
      { id: "new", text: "Il pleut." },
    ]);
    expect(c.size).toBe(7);
    const [cat] = await c.getDocuments(["fr-cat"]);
    expect(cat).toEqual({ id: "fr-cat", text: "Der Hund bellt.", metadata: { lang: "de", v: 2 } });
    expect((await c.query("the dog barks", { k: 3 })).map((h) => h.id)).toContain("fr-cat");
    expect((await c.query("the black cat sleeps in the house", { k: 1 }))[0]!.id).not.toBe("fr-cat");
    expect(await c.deleteDocuments(["new", "unknown"])).toBe(1);
    expect(await c.deleteWhere({ lang: "fr" })).toBe(2);
    expect(c.size).toBe(4);
    expect((await c.findIds({ lang: "fr" })).length).toBe(0);
    await c.close();
  });

  it("deleteWhere queued right after an add sees the add's new filter column", async () => {
    const c = await LanceCollection.create(join(root, "race"), { model: encoder });
    await c.addDocuments([{ id: "a", text: "Le chat dort." }]);
    // Not awaited in between: the filter column `tag` only exists once the add has committed.
    const added = c.addDocuments([{ id: "b", text: "Der Hund bellt.", metadata: { tag: "x" } }]);
    const deleted = c.deleteWhere({ tag: "x" });
    const predicate = c.deleteWhere((m) => m.tag === "y");
    const addedY = c.addDocuments([{ id: "c", text: "Il pleut.", metadata: { tag: "y" } }]);
    const deletedY = c.deleteWhere((m) => m.tag === "y");
    await added;
    expect(await deleted).toBe(1);
    expect(await predicate).toBe(0);
    await addedY;
    expect(await deletedY).toBe(1);
    expect(c.size).toBe(1);
    expect((await c.getDocuments(["a"]))[0]?.id).toBe("a");
    await c.close();
  });

  it("pools document tokens like core when the collection pools, and records it", async () => {
    const uri = join(root, "pooled");
    const c = await LanceCollection.create(uri, { model: encoder, poolFactor: 2 });
    await c.addDocuments(DOCS);
    const ref = await Collection.create(null, { model: encoder, poolFactor: 2 });
    await ref.addDocuments(DOCS);
    for (const q of QUERIES) {
      const got = await c.query(q, { k: 6 });
      const want = await ref.query(q, { k: 6, exact: true });
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      for (let i = 0; i < got.length; i++) expect(got[i]!.score).toBeCloseTo(want[i]!.score, 5);
    }
    // Pooled rows stand for several tokens: explanations describe the unpooled document, as explain does.
    const [explained] = await c.queryBatchExplained(["the black cat"], { k: 2 });
    for (const hit of explained!) expect(hit.explanation).toEqual(await c.explain("the black cat", hit.id));
    await c.close();
    await ref.close();
    const again = await LanceCollection.open(uri, { model: encoder });
    expect(again.meta.pooling).toEqual({ poolFactor: 2, protectedTokens: 1 });
    const rows = (await again.table.query().where("id = 'fr-cat'").select(["vectors"]).toArray()) as { vectors: { length: number } }[];
    expect(rows[0]!.vectors.length).toBeLessThan(encoder.outputTokenIds(DOCS[0]!.text, "document").length);
    await again.close();
    await expect(LanceCollection.create(join(root, "bad-pool"), { model: encoder, poolFactor: 0 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("reopens with the recorded model; another model is MODEL_MISMATCH", async () => {
    const uri = join(root, "db");
    const again = await LanceCollection.open(uri, { model: encoder, readOnly: true });
    expect(again.size).toBe(6);
    expect(again.meta.model.id).toBe(encoder.modelId);
    await expect(again.addDocuments([{ text: "x" }])).rejects.toMatchObject({ code: "INDEX_READ_ONLY" });
    await again.close();
    const err = await LanceCollection.open(uri, { model: other }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(err) && err.code).toBe("MODEL_MISMATCH");
    expect(String((err as Error).message)).toContain(encoder.modelId);
    await expect(LanceCollection.open(join(root, "none"))).rejects.toMatchObject({ code: "INDEX_NOT_FOUND" });
    await expect(LanceCollection.create(uri, { model: encoder })).rejects.toMatchObject({ code: "INDEX_EXISTS" });
    await expect(LanceCollection.create(null, { model: encoder })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(LanceCollection.create(join(root, "r"), { model: encoder, codec: "residual-2" })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});
