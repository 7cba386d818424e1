// Cross-lingual retrieval through the LlamaIndex retriever on the multilingual fixture model, whose
// translations share a vector: Chinese and Arabic documents, English and German questions.
import { ColBERT } from "@maxsim/core";
import { FUNCTION_WORDS, ensureFixtures, lexiconWords } from "@maxsim/core/fixtures";
import { MetadataMode, TextNode } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxSimRetriever } from "../src/index.js";
import { CROSS_LINGUAL_DOCS, CROSS_LINGUAL_QUERIES } from "./corpus.js";

let encoder: ColBERT;
let retriever: MaxSimRetriever;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  const nodes = CROSS_LINGUAL_DOCS.map((d) => new TextNode({ id_: d.id, text: d.text, metadata: { lang: d.lang } }));
  retriever = await MaxSimRetriever.fromNodes(nodes, { model: encoder, similarityTopK: 3, metadataMode: MetadataMode.NONE });
});

afterAll(async () => {
  await retriever?.collection.close();
  await encoder?.dispose();
});

describe("cross-lingual retrieval", () => {
  it("the documents use only words the fixture lexicon knows", () => {
    for (const d of CROSS_LINGUAL_DOCS) {
      const known = new Set([...lexiconWords(d.lang), ...FUNCTION_WORDS[d.lang]]);
      expect(d.text.split(" ").filter((w) => !known.has(w))).toEqual([]);
    }
  });

  it.each(CROSS_LINGUAL_QUERIES)("$lang: $query → $expected", async ({ query, expected }) => {
    const results = await retriever.retrieve({ query });
    expect(results[0]!.node.id_).toBe(expected);
    expect(results[0]!.score!).toBeGreaterThan(results[1]!.score!);
  });
});
