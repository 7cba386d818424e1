// Wrapper constructors validate their input: a reranker takes { encoder } or { model } (a model
// loaded on first use); anything else, and a retriever without a collection, is a typed
// INVALID_OPTION naming the builder to use; non-array inputs are INVALID_INPUT.
import { Collection, MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { TextNode } from "llamaindex";
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

describe("LlamaIndex wrapper constructors", () => {
  it("new MaxSimReranker({ model }) loads the model on first use and ranks like fromPretrained", async () => {
    const { multilingual } = await ensureFixtures();
    const lazy = new MaxSimReranker({ model: multilingual, topN: 2 });
    expect(errorOf(() => lazy.encoder).code).toBe("INVALID_OPTION");
    const eager = await MaxSimReranker.fromPretrained(multilingual, { topN: 2 });
    const nodes = [{ node: new TextNode({ id_: "a", text: "El perro come" }) }, { node: new TextNode({ id_: "b", text: "猫 睡觉" }) }];
    const [a, b] = await Promise.all([lazy.postprocessNodes(nodes, "Die Katze schläft"), eager.postprocessNodes(nodes, "Die Katze schläft")]);
    expect(a.map((n) => [n.node.id_, n.score])).toEqual(b.map((n) => [n.node.id_, n.score]));
    await lazy.close();
    await eager.close();
  });

  it("bad fields are INVALID_OPTION naming fromPretrained / fromDocuments; non-arrays INVALID_INPUT; closed INDEX_CLOSED", async () => {
    for (const bad of [{}, { model: 42 }, { encoder: "x" }, null]) {
      const e = errorOf(() => new MaxSimReranker(bad as never));
      expect(e.code).toBe("INVALID_OPTION");
      expect(e.message).toContain("fromPretrained");
    }
    for (const bad of [{ model: "lightonai/colbertv2.0" }, {}, null]) {
      const e = errorOf(() => new MaxSimRetriever(bad as never));
      expect(e.code).toBe("INVALID_OPTION");
      expect(e.message).toContain("fromDocuments");
    }
    const { multilingual } = await ensureFixtures();
    await expect(MaxSimRetriever.fromDocuments("text" as never, { model: multilingual })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const collection = await Collection.create(null, { model: multilingual });
    const r = new MaxSimRetriever({ collection });
    await expect(r.insertNodes(new Set() as never)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await r.close();
    await expect(r.retrieve({ query: "cat" })).rejects.toMatchObject({ code: "INDEX_CLOSED" });
  });
});
