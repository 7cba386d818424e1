import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection, META_KEY, type CollectionMeta } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { poolTokens } from "../../src/encoder/token-pooling.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";

let encoder: ColBERT;
let tmp: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-pooling-"));
});

afterAll(async () => {
  await encoder.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const DOCS = [
  { id: "fr", text: "Le chat dort sur le canapé du salon pendant que la pluie tombe dehors." },
  { id: "de", text: "Der Hund bellt laut im Garten, weil der Briefträger gerade kommt." },
  { id: "es", text: "El río atraviesa la ciudad antigua y llega al mar después de muchos kilómetros." },
];

async function expectRefusal(p: Promise<unknown> | (() => unknown), code: string, text: string): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(MaxsimError.isInstance(e) && e.code).toBe(code);
    expect((e as Error).message).toContain(text);
    return;
  }
  throw new Error("expected a refusal");
}

describe("document token pooling in the encoder and the collection", () => {
  it("the encoder pools documents exactly as poolTokens does on its unpooled output", async () => {
    const texts = DOCS.map((d) => d.text);
    const plain = await encoder.encodeDocuments(texts);
    for (const factor of [2, 3]) {
      const pooled = await encoder.encodeDocuments(texts, { poolFactor: factor });
      pooled.forEach((p, i) => {
        const want = poolTokens(plain[i]!, factor);
        expect(p.length).toBe(want.length);
        expect(p.length).toBe(1 + Math.floor((plain[i]!.length - 1) / factor));
        expect(Array.from(p.data)).toEqual(Array.from(want.data));
        expect(p.tokenIds[0]).toBe(plain[i]!.tokenIds[0]); // the protected first token
      });
    }
    await expectRefusal(encoder.encodeQueries(["chat"], { poolFactor: 2 }), "INVALID_OPTION", "documents only");
    await expectRefusal(encoder.encodeDocuments(["chat"], { poolFactor: 0 }), "INVALID_OPTION", "poolFactor");
  });

  it("a pooled collection stores pooled vectors, records the pooling in its manifest and keeps pooling after reopening", async () => {
    const dir = path.join(tmp, "pooled");
    const c = await Collection.create(dir, { model: encoder, poolFactor: 2 });
    await c.addDocuments(DOCS.slice(0, 2));
    const [plainFr] = await encoder.encodeDocuments([DOCS[0]!.text]);
    expect(c.index.get("fr")!.length).toBe(poolTokens(plainFr!, 2).length);
    expect(Array.from(c.index.get("fr")!.data)).toEqual(Array.from(poolTokens(plainFr!, 2).data));
    const meta = c.index.meta[META_KEY] as CollectionMeta;
    expect(meta.collectionFormat).toBe(2);
    expect(meta.pooling).toEqual({ poolFactor: 2, protectedTokens: 1 });
    expect((await c.query("chat", { k: 1 }))[0]!.id).toBe("fr");
    await c.close();

    const reopened = await Collection.open(dir, { model: encoder });
    expect(reopened.pooling).toEqual({ poolFactor: 2, protectedTokens: 1 });
    await reopened.addDocuments([DOCS[2]!]);
    const [plainEs] = await encoder.encodeDocuments([DOCS[2]!.text]);
    expect(reopened.index.get("es")!.length).toBe(poolTokens(plainEs!, 2).length);
    expect(reopened.index.get("es")!.length).toBeLessThan(plainEs!.length);
    expect((await reopened.query("Fluss Stadt Meer", { k: 1 }))[0]!.id).toBe("es");
    // Explanations score the document's own tokens (a pooled row stands for several).
    const e = await reopened.explain("chat", "fr");
    expect(e.matches.every((m) => m.docIndex < plainFr!.length)).toBe(true);
    await reopened.close();
  });

  it("an unpooled collection keeps collection format 1 and pooling factor 1", async () => {
    const c = await Collection.create(null, { model: encoder });
    expect(c.pooling).toEqual({ poolFactor: 1, protectedTokens: 1 });
    expect((c.index.meta[META_KEY] as CollectionMeta).collectionFormat).toBe(1);
    await c.addDocuments([DOCS[0]!]);
    const [plain] = await encoder.encodeDocuments([DOCS[0]!.text]);
    expect(c.index.get("fr")!.length).toBe(plain!.length);
    await c.close();
  });

  it("refuses a bad pool factor at create, and a manifest with invalid pooling at open", async () => {
    await expectRefusal(Collection.create(null, { model: encoder, poolFactor: 1.5 }), "INVALID_OPTION", "poolFactor");
    const dir = path.join(tmp, "bad-manifest");
    const index = await MaxSimIndex.create(dir, {
      dim: encoder.dim,
      meta: {
        [META_KEY]: { collectionFormat: 2, model: { id: encoder.modelId, dim: encoder.dim, info: {} }, pooling: { poolFactor: -2, protectedTokens: 1 } },
      },
    });
    await index.close();
    await expectRefusal(Collection.open(dir, { model: encoder }), "INDEX_CORRUPT", "invalid token pooling");
  });
});
