// One snapshot per read: a read-only collection's query/queryBatch/explain take the filter ids,
// the hits and their payloads from the same snapshot, even when a refresh lands while the query
// is being encoded. The race is made deterministic with an encoder whose query encoding waits
// until the refresh has swapped the new snapshot in.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import type { Encoder } from "../../src/encoder/types.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

let encoder: ColBERT;
let tmp: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-snapshot-"));
});

afterAll(async () => {
  await encoder.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** The real encoder, whose query encodings resolve only once `gate` is opened. */
function gatedEncoder(real: ColBERT): { encoder: Encoder; started: Promise<void>; open: () => void } {
  let open!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const startedP = new Promise<void>((resolve) => (started = resolve));
  const wrapped: Encoder = Object.create(real) as Encoder;
  Object.defineProperty(wrapped, "encodeQueries", {
    value: async (texts: string[], opts?: object) => {
      const out = await real.encodeQueries(texts, opts);
      started();
      await gate;
      return out;
    },
  });
  return { encoder: wrapped, started: startedP, open };
}

describe("Collection reads pin one snapshot", () => {
  it("a refresh landing while a filtered query is encoded: every hit passes the filter, no deleted document, full text", async () => {
    const dir = path.join(tmp, "race");
    const writer = await Collection.create(dir, { model: encoder });
    await writer.addDocuments([
      { id: "cat", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr" } },
      { id: "dog", text: "Le chien dort dans le jardin.", metadata: { lang: "fr" } },
      { id: "bread", text: "El pan está en la mesa.", metadata: { lang: "es" } },
    ]);
    const gated = gatedEncoder(encoder);
    const reader = await Collection.open(dir, { readOnly: true, model: gated.encoder });

    const pending = reader.query("chat chien", { k: 3, filter: { lang: "fr" } });
    await gated.started;
    // Meanwhile: "cat" becomes German, "dog" is deleted; the reader adopts that snapshot.
    await writer.upsertDocuments([{ id: "cat", text: "Die Katze schläft auf dem Sofa.", metadata: { lang: "de" } }]);
    await writer.deleteDocuments(["dog"]);
    expect(await reader.refresh()).toBe(true);
    gated.open();
    const hits = await pending;

    for (const h of hits) {
      expect(h.metadata).toEqual({ lang: "fr" });
      expect(h.text.length).toBeGreaterThan(0);
      expect(reader.has(h.id)).toBe(true);
    }
    expect(hits.map((h) => h.id)).toEqual([]); // the new snapshot has no French document left
    await reader.close();
    await writer.close();
  });

  it("explain racing a refresh scores the document it returns the text of", async () => {
    const dir = path.join(tmp, "explain");
    const writer = await Collection.create(dir, { model: encoder });
    await writer.addDocuments([{ id: "a", text: "Le chat noir dort.", metadata: {} }]);
    const gated = gatedEncoder(encoder);
    const reader = await Collection.open(dir, { readOnly: true, model: gated.encoder });
    const pending = reader.explain("chat", "a");
    await gated.started;
    await writer.upsertDocuments([{ id: "a", text: "Der Hund bellt laut im Garten.", metadata: {} }]);
    await reader.refresh();
    gated.open();
    const e = await pending;
    const fresh = await Collection.open(dir, { readOnly: true, model: encoder });
    const expected = await fresh.explain("chat", "a");
    expect(e.score).toBeCloseTo(expected.score, 5);
    expect(e.matches.map((m) => m.docToken)).toEqual(expected.matches.map((m) => m.docToken));
    await fresh.close();
    await reader.close();
    await writer.close();
  });
});
