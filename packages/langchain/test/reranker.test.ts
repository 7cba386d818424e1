// MaxSimReranker as the compressor of a real ContextualCompressionRetriever (from
// @langchain/classic, where LangChain 1.x keeps it) over a deliberately bad first-stage retriever.
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { ColBERT, MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAXSIM_SCORE_KEY, MaxSimReranker } from "../src/index.js";
import { FR_DE_DOCS } from "./corpus.js";

/** A first stage that ignores the query and returns the corpus in reverse order. */
class ReversedRetriever extends BaseRetriever {
  lc_namespace = ["test"];
  constructor(private readonly docs: DocumentInterface[]) {
    super();
  }
  override async _getRelevantDocuments(): Promise<DocumentInterface[]> {
    return [...this.docs].reverse();
  }
}

let encoder: ColBERT;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
});

afterAll(async () => {
  await encoder?.dispose();
});

describe("MaxSimReranker", () => {
  it("puts the relevant document first inside ContextualCompressionRetriever", async () => {
    const base = new ReversedRetriever(FR_DE_DOCS);
    const query = "the black cat sleeps in the house";
    expect((await base.invoke(query)).at(-1)!.id).toBe("fr-cat"); // the bad first stage ranks it last
    const retriever = new ContextualCompressionRetriever({ baseCompressor: new MaxSimReranker({ encoder, topN: 2 }), baseRetriever: base });
    const docs = await retriever.invoke(query);
    expect(docs).toHaveLength(2);
    expect(docs[0]!.id).toBe("fr-cat");
    expect(docs[0]!.pageContent).toBe("Le chat noir dort dans la maison.");
    expect(docs[0]!.metadata).toMatchObject({ lang: "fr", topic: "animals" });
    const [first, second] = docs.map((d) => d.metadata[MAXSIM_SCORE_KEY] as number);
    expect(first!).toBeGreaterThan(second!);
  });

  it("returns new documents, never mutating the candidates, and handles empty input and topN 0", async () => {
    const candidates = [
      new Document({ pageContent: "Der Hund trinkt Wasser.", metadata: { n: 1 }, id: "a" }),
      new Document({ pageContent: "Le chat dort.", metadata: { n: 2 }, id: "b" }),
    ];
    const reranker = new MaxSimReranker({ encoder });
    expect(reranker.topN).toBe(3);
    const out = await reranker.compressDocuments(candidates, "the cat sleeps");
    expect(out.map((d) => d.id)).toEqual(["b", "a"]);
    expect(out[0]).not.toBe(candidates[1]);
    expect(candidates[1]!.metadata).toEqual({ n: 2 });
    expect(await reranker.compressDocuments([], "the cat sleeps")).toEqual([]);
    expect(await new MaxSimReranker({ encoder, topN: 0 }).compressDocuments(candidates, "cat")).toEqual([]);
    const error = await new MaxSimReranker({ encoder, topN: -1 }).compressDocuments(candidates, "cat").catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("INVALID_OPTION");
  });

  it("scores like the retriever's model: the same text scores the same in any order", async () => {
    const reranker = new MaxSimReranker({ encoder, topN: 6 });
    const forward = await reranker.compressDocuments(FR_DE_DOCS, "el perro bebe agua");
    const backward = await reranker.compressDocuments([...FR_DE_DOCS].reverse(), "el perro bebe agua");
    expect(forward[0]!.id).toBe("de-dog");
    expect(backward.map((d) => [d.id, d.metadata[MAXSIM_SCORE_KEY]])).toEqual(forward.map((d) => [d.id, d.metadata[MAXSIM_SCORE_KEY]]));
  });
});
