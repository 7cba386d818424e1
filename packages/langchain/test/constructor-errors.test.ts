// Wrapper constructors validate their input: a reranker takes { encoder } or { model } (a model
// loaded on first use); anything else, and a retriever without a collection, is a typed
// INVALID_OPTION naming the builder to use (was a TypeError on first use).
import { Document } from "@langchain/core/documents";
import { Collection, MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { describe, expect, it } from "vitest";
import { MaxSimReranker, MaxSimRetriever } from "../src/index.js";

function errorOf(fn: () => unknown): MaxsimError {
  try {
    fn();
  } catch (error) {
    if (MaxsimError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("LangChain wrapper constructors", () => {
  it("new MaxSimReranker({ model }) loads the model on first use and reranks like fromPretrained", async () => {
    const { multilingual } = await ensureFixtures();
    const lazy = new MaxSimReranker({ model: multilingual, topN: 1 });
    expect(errorOf(() => lazy.encoder).code).toBe("INVALID_OPTION");
    const docs = [new Document({ pageContent: "Le chat dort." }), new Document({ pageContent: "Der Hund trinkt Wasser." })];
    const eager = await MaxSimReranker.fromPretrained(multilingual, { topN: 1 });
    const [a, b] = await Promise.all([lazy.compressDocuments(docs, "the dog drinks water"), eager.compressDocuments(docs, "the dog drinks water")]);
    expect(a.map((d) => [d.pageContent, d.metadata["maxsimScore"]])).toEqual(b.map((d) => [d.pageContent, d.metadata["maxsimScore"]]));
    expect(lazy.encoder.dim).toBe(eager.encoder.dim);
    await lazy.close();
    await eager.close();
  });

  it("bad reranker and retriever fields are INVALID_OPTION naming fromPretrained / fromDocuments", () => {
    for (const bad of [{}, { model: 42 }, { model: "" }, { encoder: {} }, null]) {
      const e = errorOf(() => new MaxSimReranker(bad as never));
      expect(e.code).toBe("INVALID_OPTION");
      expect(e.message).toContain("fromPretrained");
    }
    for (const bad of [{ model: "lightonai/colbertv2.0" }, {}, { collection: "x" }, null]) {
      const e = errorOf(() => new MaxSimRetriever(bad as never));
      expect(e.code).toBe("INVALID_OPTION");
      expect(e.message).toContain("fromDocuments");
      expect(e.message).toContain("fromExistingIndex");
    }
  });

  it("a closed collection and non-array inputs are typed through the retriever", async () => {
    const { multilingual } = await ensureFixtures();
    const collection = await Collection.create(null, { model: multilingual });
    const r = new MaxSimRetriever({ collection });
    await expect(r.addDocuments("text" as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await r.close();
    await expect(r.invoke("cat")).rejects.toMatchObject({ code: "INDEX_CLOSED" });
  });
});
