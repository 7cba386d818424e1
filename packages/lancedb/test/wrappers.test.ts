// Both wrappers, unchanged, on a LanceDB-backed collection: LangChain's retriever inside an LCEL
// RAG chain, LlamaIndex's inside a RetrieverQueryEngine (fake LLMs only), built with
// fromDocuments({ engine }) and reopened with fromExistingIndex({ engine }).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@langchain/core/context";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document as LcDocument, type DocumentInterface } from "@langchain/core/documents";
import type { BaseMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ColBERT } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { MaxSimRetriever as LcRetriever } from "@maxsim/langchain";
import { MaxSimRetriever as LiRetriever } from "@maxsim/llamaindex";
import { BaseLLM, Document as LiDocument, MetadataMode, RetrieverQueryEngine, Settings, extractText } from "llamaindex";
import type { ChatMessage, ChatResponse, ChatResponseChunk, LLMChatParamsNonStreaming, LLMChatParamsStreaming, LLMMetadata } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LanceCollection, lanceEngine } from "../src/index.js";

/** A LlamaIndex LLM that records its prompts and answers a fixed text. */
class RecordingLLM extends BaseLLM {
  readonly calls: ChatMessage[][] = [];
  metadata: LLMMetadata = { model: "recording", temperature: 0, topP: 1, contextWindow: 16_384, tokenizer: undefined, structuredOutput: false };
  constructor(readonly answer: string) {
    super();
  }
  prompt(i: number): string {
    return (this.calls[i] ?? []).map((m) => extractText(m.content)).join("\n");
  }
  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(params: LLMChatParamsStreaming | LLMChatParamsNonStreaming): Promise<ChatResponse | AsyncIterable<ChatResponseChunk>> {
    this.calls.push(params.messages.map((m) => ({ ...m })));
    const answer = this.answer;
    if (params.stream)
      return (async function* () {
        yield { raw: null, delta: answer };
      })();
    return { message: { role: "assistant", content: answer }, raw: null };
  }
}

const FR_DE = [
  new LcDocument({ id: "fr-cat", pageContent: "Le chat noir dort dans la maison.", metadata: { lang: "fr" } }),
  new LcDocument({ id: "fr-market", pageContent: "Mon père achète du pain au marché.", metadata: { lang: "fr" } }),
  new LcDocument({ id: "de-dog", pageContent: "Der Hund trinkt Wasser im Garten.", metadata: { lang: "de" } }),
  new LcDocument({ id: "de-train", pageContent: "Der Zug fährt schnell zum Flughafen.", metadata: { lang: "de" } }),
];

let encoder: ColBERT;
let root: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  root = await mkdtemp(join(tmpdir(), "maxsim-lance-wrappers-"));
});

afterAll(async () => {
  await encoder?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("@maxsim/langchain on LanceDB", () => {
  it("fromDocuments with the LanceDB engine, reopened by fromExistingIndex, answers inside an LCEL chain", async () => {
    const uri = join(root, "lc");
    const engine = lanceEngine({ tableName: "chunks" });
    const built = await LcRetriever.fromDocuments(FR_DE, { model: encoder, directory: uri, engine, k: 2 });
    expect(built.collection).toBeInstanceOf(LanceCollection);
    await built.close();

    const retriever = await LcRetriever.fromExistingIndex(uri, { model: encoder, engine, k: 2 });
    expect(retriever.collection).toBeInstanceOf(LanceCollection);
    expect(retriever.collection.size).toBe(4);
    const format = (docs: DocumentInterface[]) => docs.map((d) => d.pageContent).join("\n");
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "Answer from this context only:\n{context}"],
      ["human", "{question}"],
    ]);
    const chain = RunnableSequence.from([
      { context: retriever.pipe(format), question: new RunnablePassthrough() },
      prompt,
      new FakeListChatModel({ responses: ["Le chat dort."] }),
      new StringOutputParser(),
    ]);
    const seen: BaseMessage[][] = [];
    const spy = BaseCallbackHandler.fromMethods({
      handleChatModelStart(_llm, messages) {
        seen.push(...messages);
      },
    });
    const question = "where does the black cat sleep?";
    expect(await chain.invoke(question, { callbacks: [spy] })).toBe("Le chat dort.");
    const docs = await retriever.invoke(question);
    expect(docs[0]!.id).toBe("fr-cat");
    expect(typeof docs[0]!.metadata.maxsimScore).toBe("number");
    expect(seen[0]!.map((m) => m.content)).toEqual([`Answer from this context only:\n${format(docs)}`, question]);

    // per-call filter, explain and writes go through the same engine
    // explain: one query encoding for the search and every hit's matches (the real encoder, observed)
    const encodes = vi.spyOn(encoder, "encodeQueries");
    const de = await retriever.invoke(question, { configurable: { maxsim: { filter: { lang: "de" }, explain: true } } });
    expect(encodes.mock.calls.map((call) => call[0])).toEqual([[question]]);
    encodes.mockRestore();
    expect(de.map((d) => d.metadata.lang)).toEqual(["de", "de"]);
    expect(Array.isArray(de[0]!.metadata.maxsimMatches)).toBe(true);
    expect(await retriever.addDocuments([new LcDocument({ pageContent: "La neige tombe en hiver." })], { ids: ["fr-snow"] })).toEqual(["fr-snow"]);
    expect((await retriever.invoke("snow in winter"))[0]!.id).toBe("fr-snow");
    expect(await retriever.delete({ ids: ["fr-snow"] })).toBe(1);
    await retriever.close();
  });
});

describe("@maxsim/llamaindex on LanceDB", () => {
  it("fromDocuments with the LanceDB engine, reopened by fromExistingIndex, answers in a RetrieverQueryEngine", async () => {
    const uri = join(root, "li");
    const engine = lanceEngine();
    const docs = [
      new LiDocument({ id_: "d-cat", text: "The cat sleeps on the bed", metadata: { lang: "en" } }),
      new LiDocument({ id_: "d-dog", text: "Der Hund trinkt Wasser im Garten", metadata: { lang: "de" } }),
      new LiDocument({ id_: "d-train", text: "Le train va à la gare", metadata: { lang: "fr" } }),
    ];
    const built = await LiRetriever.fromDocuments(docs, { model: encoder, directory: uri, engine, metadataMode: MetadataMode.NONE });
    await built.close();

    const retriever = await LiRetriever.fromExistingIndex(uri, { model: encoder, engine, similarityTopK: 2 });
    expect(retriever.collection).toBeInstanceOf(LanceCollection);
    const llm = new RecordingLLM("Der Hund trinkt.");
    Settings.llm = llm;
    const query = "Where does the dog drink water?";
    const response = await new RetrieverQueryEngine(retriever).query({ query });
    const expected = await retriever.retrieve({ query });
    expect(response.sourceNodes?.map((n) => [n.node.id_, n.score])).toEqual(expected.map((n) => [n.node.id_, n.score]));
    expect(response.sourceNodes?.[0]?.node.sourceNode?.nodeId).toBe("d-dog");
    expect(llm.prompt(0)).toContain("Der Hund trinkt Wasser im Garten");
    expect(response.message.content).toBe("Der Hund trinkt.");

    // deleteRefDoc is a deleteWhere on ref_doc_id: a LanceDB SQL delete
    expect(await retriever.deleteRefDoc("d-dog")).toBe(1);
    expect((await retriever.retrieve({ query })).map((n) => n.node.sourceNode?.nodeId)).not.toContain("d-dog");
    await retriever.close();
  });
});
