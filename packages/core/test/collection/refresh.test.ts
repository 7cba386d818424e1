// Collection.refresh(): a read-only collection (what `maxsim search` opens while `maxsim index`
// writes) adopts added, upserted and deleted documents, and filters see the new metadata.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

let encoder: ColBERT;
let tmp: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-collection-refresh-"));
});

afterAll(async () => {
  await encoder.dispose();
  await rm(tmp, { recursive: true, force: true });
});

describe("Collection.refresh", () => {
  it("a read-only collection sees the writer's adds, upserts and deletes after refresh(), filters included", async () => {
    const dir = path.join(tmp, "c1");
    const writer = await Collection.create(dir, { model: encoder });
    await writer.addDocuments([
      { id: "cat", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr" } },
      { id: "bread", text: "El pan está en la mesa.", metadata: { lang: "es" } },
    ]);
    const reader = await Collection.open(dir, { readOnly: true, model: encoder });
    expect(reader.findIds({ lang: "fr" })).toEqual(["cat"]); // builds the cached metadata map
    expect(await reader.refresh()).toBe(false);

    await writer.addDocuments([{ id: "dog", text: "Der Hund bellt im Garten.", metadata: { lang: "de" } }]);
    await writer.upsertDocuments([{ id: "cat", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr", v: 2 } }]);
    await writer.deleteDocuments(["bread"]);
    const before = await reader.query("dog", { k: 3 });
    expect(before.map((h) => h.id).sort()).toEqual(["bread", "cat"]);
    expect(reader.findIds({ lang: "de" })).toEqual([]);

    expect(await reader.refresh()).toBe(true);
    expect(reader.size).toBe(2);
    expect((await reader.query("dog", { k: 1 }))[0]!.id).toBe("dog");
    expect(await reader.query("dog", { k: 3 })).toEqual(await writer.query("dog", { k: 3 }));
    expect(reader.findIds({ lang: "de" })).toEqual(["dog"]);
    expect(reader.findIds({ v: 2 })).toEqual(["cat"]);
    expect(reader.findIds({ lang: "es" })).toEqual([]);
    expect(await reader.getDocuments(["bread", "cat"])).toEqual([
      undefined,
      { id: "cat", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr", v: 2 } },
    ]);
    expect(await reader.refresh()).toBe(false);
    expect(await writer.refresh()).toBe(false);
    await reader.close();
    await writer.close();
  });
});
