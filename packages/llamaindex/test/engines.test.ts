// The wrappers inside real LlamaIndex engines: RetrieverQueryEngine and ContextChatEngine, with a
// fake LLM that records its prompts.
import { ColBERT, MaxsimError, rerank } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { BaseRetriever, ContextChatEngine, MetadataMode, RetrieverQueryEngine, Settings, TextNode } from "llamaindex";
import type { NodeWithScore, QueryBundle } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxSimReranker, MaxSimRetriever } from "../src/index.js";
import { mixedDocuments } from "./corpus.js";
import { RecordingLLM } from "./recording-llm.js";

let encoder: ColBERT;
let retriever: MaxSimRetriever;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  retriever = await MaxSimRetriever.fromDocuments(mixedDocuments(), { model: encoder, similarityTopK: 2, metadataMode: MetadataMode.NONE });
});

afterAll(async () => {
  await retriever?.collection.close();
  await encoder?.dispose();
});

const text = (n: NodeWithScore): string => n.node.getContent(MetadataMode.NONE);

describe("RetrieverQueryEngine", () => {
  it("answers from our nodes, in our order, and puts their text in the prompt", async () => {
    const llm = new RecordingLLM("Der Hund trinkt.");
    Settings.llm = llm;
    const engine = new RetrieverQueryEngine(retriever);
    const query = "Where does the dog drink water?";
    const response = await engine.query({ query });
    const expected = await retriever.retrieve({ query });
    expect(response.sourceNodes?.map((n) => [n.node.id_, n.score])).toEqual(expected.map((n) => [n.node.id_, n.score]));
    expect(response.sourceNodes?.[0]?.node.sourceNode?.nodeId).toBe("d-dog");
    expect(llm.calls).toHaveLength(1);
    const prompt = llm.prompt(0);
    for (const n of expected) expect(prompt).toContain(text(n));
    expect(prompt).toContain(query);
    expect(response.message.content).toBe("Der Hund trinkt.");
  });
});

describe("streaming", () => {
  it("a streaming query carries our source nodes and the LLM's text", async () => {
    const llm = new RecordingLLM("Le train va à la gare.");
    Settings.llm = llm;
    const stream = await new RetrieverQueryEngine(retriever).query({ query: "Zug zum Bahnhof", stream: true });
    let text = "";
    let sources: NodeWithScore[] | undefined;
    for await (const chunk of stream) {
      text += chunk.delta;
      sources ??= chunk.sourceNodes;
    }
    expect(text).toBe("Le train va à la gare.");
    expect(sources?.[0]?.node.sourceNode?.nodeId).toBe("d-train");
    expect(llm.prompt(0)).toContain("Le train va à la gare");
  });
});

describe("ContextChatEngine", () => {
  it("retrieves with our retriever on each of two turns and keeps the history", async () => {
    const llm = new RecordingLLM("noted");
    const engine = new ContextChatEngine({ retriever, chatModel: llm });

    const first = await engine.chat({ message: "Where does the cat sleep?" });
    expect(first.sourceNodes?.[0]?.node.sourceNode?.nodeId).toBe("d-cat");
    expect(llm.prompt(0)).toContain("The cat sleeps on the bed");

    const second = await engine.chat({ message: "Und der Zug zum Bahnhof?" });
    expect(second.sourceNodes?.[0]?.node.sourceNode?.nodeId).toBe("d-train");
    const prompt = llm.prompt(1);
    expect(prompt).toContain("Le train va à la gare");
    expect(prompt).toContain("Where does the cat sleep?"); // the first turn is in the history
    expect(prompt).toContain("assistant: noted");
    expect(second.sourceNodes?.map((n) => n.node.id_)).toEqual((await retriever.retrieve({ query: "Und der Zug zum Bahnhof?" })).map((n) => n.node.id_));
  });
});

/** A deliberately bad first stage: every node, least relevant first, all with score 0. */
class ReversedRetriever extends BaseRetriever {
  constructor(private readonly inner: MaxSimRetriever) {
    super();
  }
  override async _retrieve(params: QueryBundle): Promise<NodeWithScore[]> {
    const all = await new MaxSimRetriever({
      collection: this.inner.collection,
      similarityTopK: this.inner.collection.size,
      metadataMode: MetadataMode.NONE,
    }).retrieve(params);
    return all.reverse().map((n) => ({ node: n.node, score: 0 }));
  }
}

describe("MaxSimReranker", () => {
  it("puts the relevant node first in a RetrieverQueryEngine over a bad retriever, keeping topN", async () => {
    const llm = new RecordingLLM();
    Settings.llm = llm;
    const bad = new ReversedRetriever(retriever);
    const query = "hot coffee in the kitchen";
    const firstStage = await bad.retrieve({ query });
    expect(firstStage.at(-1)?.node.sourceNode?.nodeId).toBe("d-coffee");

    const reranker = new MaxSimReranker({ encoder, topN: 2, metadataMode: MetadataMode.NONE });
    const engine = new RetrieverQueryEngine(bad, undefined, [reranker]);
    const response = await engine.query({ query });
    const sources = response.sourceNodes ?? [];
    expect(sources).toHaveLength(2);
    expect(sources[0]!.node.sourceNode?.nodeId).toBe("d-coffee");
    expect(sources[0]!.score!).toBeGreaterThan(sources[1]!.score!);
    // Scores are core's rerank scores for those texts.
    const direct = await rerank(encoder, query, firstStage.map(text), { topN: 2 });
    expect(sources.map((s) => s.score)).toEqual(direct.map((d) => d.score));
    expect(llm.prompt(0)).toContain("El café caliente en la cocina");
  });

  it("reranks inside a ContextChatEngine", async () => {
    const llm = new RecordingLLM();
    const engine = new ContextChatEngine({
      retriever: new ReversedRetriever(retriever),
      chatModel: llm,
      nodePostprocessors: [new MaxSimReranker({ encoder, topN: 1, metadataMode: MetadataMode.NONE })],
    });
    const response = await engine.chat({ message: "Arzt Krankenhaus Arbeit" });
    expect(response.sourceNodes?.map((n) => n.node.sourceNode?.nodeId)).toEqual(["d-doctor"]);
    expect(llm.prompt(0)).toContain("医生 在 医院 工作");
  });

  it("returns new NodeWithScore objects and leaves the input untouched; topN larger than the input keeps all", async () => {
    const input = [
      { node: new TextNode({ id_: "a", text: "Der Hund bellt" }), score: 7 },
      { node: new TextNode({ id_: "b", text: "Le chat dort" }), score: 9 },
    ];
    const out = await new MaxSimReranker({ encoder, topN: 5 }).postprocessNodes(input, "cat");
    expect(out.map((n) => n.node.id_)).toEqual(["b", "a"]);
    expect(out[0]!.node).toBe(input[1]!.node);
    expect(input.map((n) => n.score)).toEqual([7, 9]);
    expect(await new MaxSimReranker({ encoder }).postprocessNodes([], "cat")).toEqual([]);
  });

  it("needs the query (INVALID_INPUT) and passes core's INVALID_OPTION through", async () => {
    const nodes = [{ node: new TextNode({ text: "x" }), score: 1 }];
    await expect(new MaxSimReranker({ encoder }).postprocessNodes(nodes)).rejects.toSatisfy(
      (e: unknown) => MaxsimError.isInstance(e) && e.code === "INVALID_INPUT",
    );
    await expect(new MaxSimReranker({ encoder, topN: -1 }).postprocessNodes(nodes, "x")).rejects.toSatisfy(
      (e: unknown) => MaxsimError.isInstance(e) && e.code === "INVALID_OPTION",
    );
  });
});
