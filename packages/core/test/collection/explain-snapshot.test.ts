// Explanations read one snapshot and reuse the query encoding: `queryBatchExplained` explains each
// hit from its search's encoding and snapshot, and `explainMatrix` takes the text, the rows and the
// matches from one snapshot read after the encoding. The real fixture encoder is observed (it
// still runs) to count encodings and to land a write right after an encoding finishes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { explainMatrix } from "../../src/collection/explain-matrix.js";
import { explainedQueryBatch } from "../../src/collection/retrieval-collection.js";
import type { RetrievalCollection } from "../../src/collection/retrieval-collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

const DOCS = [
  { id: "fr", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr" } },
  { id: "de", text: "Der Hund bellt laut im Garten.", metadata: { lang: "de" } },
  { id: "es", text: "El pan está en la mesa.", metadata: { lang: "es" } },
];

let encoder: ColBERT;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await encoder.dispose();
});

describe("Collection.queryBatchExplained", () => {
  it("encodes the queries once and explains every hit as Collection.explain does", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(DOCS);
    const spy = vi.spyOn(encoder, "encodeQueries");
    const lists = await c.queryBatchExplained(["black cat", "dog"], { k: 3, exact: true });
    expect(spy.mock.calls.map((call) => call[0])).toEqual([["black cat", "dog"]]);
    const plain = await c.queryBatch(["black cat", "dog"], { k: 3, exact: true });
    expect(lists.map((l) => l.map((h) => [h.id, h.score]))).toEqual(plain.map((l) => l.map((h) => [h.id, h.score])));
    for (const [i, list] of lists.entries()) {
      expect(list).toHaveLength(3);
      for (const hit of list) {
        const expected = await c.explain(["black cat", "dog"][i]!, hit.id);
        expect(hit.explanation.matches.map((m) => [m.queryToken, m.docToken, m.span])).toEqual(expected.matches.map((m) => [m.queryToken, m.docToken, m.span]));
        expect(hit.explanation.score).toBeCloseTo(hit.score, 4);
      }
    }
    expect(await c.queryBatchExplained(["cat"], { k: 0 })).toEqual([[]]);
    await expect(c.queryBatchExplained("cat" as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await c.close();
    await expect(c.queryBatchExplained(["cat"])).rejects.toMatchObject({ code: "INDEX_CLOSED" });
  });
});

describe("explainMatrix", () => {
  it("is NOT_FOUND, not the deleted text's matrix, when the document is deleted while the query is encoded", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(DOCS);
    const real = encoder.encodeQueries.bind(encoder);
    vi.spyOn(encoder, "encodeQueries").mockImplementation(async (texts, options) => {
      const out = await real(texts, options);
      await c.deleteDocuments(["fr"]);
      return out;
    });
    await expect(explainMatrix(c, "cat", "fr")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await c.close();
  });

  it("encodes the query once and gives the matches of the matrix's own rows", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(DOCS);
    const spy = vi.spyOn(encoder, "encodeQueries");
    const m = await explainMatrix(c, "black cat", "fr");
    expect(spy).toHaveBeenCalledTimes(1);
    const cols = m.docTokens.length;
    for (const t of m.matches) {
      const row = m.matrix.subarray(t.queryIndex * cols, (t.queryIndex + 1) * cols);
      expect(row[t.docIndex]).toBeCloseTo(t.score, 5);
      expect(Math.max(...row)).toBeCloseTo(t.score, 5);
    }
    expect(m.matches.find((t) => t.queryToken === "cat")!.docToken).toBe("chat");
    await c.close();
  });
});

describe("explainedQueryBatch", () => {
  it("uses the engine's queryBatchExplained: one encoding for the search and its explanations", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(DOCS);
    const spy = vi.spyOn(encoder, "encodeQueries");
    const [hits] = await explainedQueryBatch(c, ["black cat"], { k: 2 });
    expect(spy.mock.calls.map((call) => call[0])).toEqual([["black cat"]]);
    expect(hits!.map((h) => h.id)).toEqual((await c.query("black cat", { k: 2 })).map((h) => h.id));
    expect(hits![0]!.explanation).toEqual(await c.explain("black cat", hits![0]!.id));
    await c.close();
  });

  it("falls back to queryBatch plus explain for an engine without queryBatchExplained", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(DOCS);
    // An engine written before the method existed: the same collection minus queryBatchExplained.
    const older: RetrievalCollection = {
      encoder: c.encoder,
      size: c.size,
      addDocuments: (d, o) => c.addDocuments(d, o),
      upsertDocuments: (d, o) => c.upsertDocuments(d, o),
      deleteDocuments: (ids) => c.deleteDocuments(ids),
      deleteWhere: (f) => c.deleteWhere(f),
      getDocuments: (ids) => c.getDocuments(ids),
      query: (t, o) => c.query(t, o),
      queryBatch: (t, o) => c.queryBatch(t, o),
      explain: (q, id) => c.explain(q, id),
      refresh: () => c.refresh(),
      close: () => c.close(),
    };
    const lists = await explainedQueryBatch(older, ["black cat", "dog"], { k: 2 });
    const direct = await c.queryBatchExplained(["black cat", "dog"], { k: 2 });
    expect(lists.map((l) => l.map((h) => [h.id, h.score]))).toEqual(direct.map((l) => l.map((h) => [h.id, h.score])));
    expect(lists.map((l) => l.map((h) => h.explanation.matches.map((m) => m.docIndex)))).toEqual(
      direct.map((l) => l.map((h) => h.explanation.matches.map((m) => m.docIndex))),
    );
    await c.close();
  });
});
