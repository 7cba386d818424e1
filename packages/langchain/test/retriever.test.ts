// MaxSimRetriever with real LangChain objects (LCEL, callbacks, batch/stream, signals) and the real
// multilingual fixture ColBERT model; the only fake is the chat model that "generates" the answer.
// Node apps get LangChain's implicit config propagation (a runnable called inside another without
// a config inherits its config) by loading @langchain/core/context; so does this test.
import "@langchain/core/context";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import type { BaseMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ColBERT, MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAXSIM_MATCHES_KEY, MAXSIM_NORMALIZED_SCORE_KEY, MAXSIM_SCORE_KEY, MaxSimRetriever } from "../src/index.js";
import { CROSS_LINGUAL_QUERIES, FR_DE_DOCS } from "./corpus.js";

let encoder: ColBERT;
let retriever: MaxSimRetriever;

beforeAll(async () => {
  const { multilingual } = await ensureFixtures();
  encoder = await ColBERT.fromPretrained(multilingual);
  retriever = await MaxSimRetriever.fromDocuments(FR_DE_DOCS, { model: encoder, k: 3 });
});

afterAll(async () => {
  await retriever?.close();
  await encoder?.dispose();
});

const ids = (docs: DocumentInterface[]) => docs.map((d) => d.id);

describe("MaxSimRetriever", () => {
  it("has LangChain identity and instance defaults", () => {
    expect(MaxSimRetriever.lc_name()).toBe("MaxSimRetriever");
    expect(retriever.lc_namespace).toEqual(["maxsim", "retrievers"]);
    // What callbacks and tracers receive as the serialized retriever: its id, never the collection.
    expect(retriever.toJSON()).toEqual({ lc: 1, type: "not_implemented", id: ["maxsim", "retrievers", "MaxSimRetriever"] });
    expect(retriever.k).toBe(3);
    expect(retriever.collection.size).toBe(FR_DE_DOCS.length);
  });

  it.each(CROSS_LINGUAL_QUERIES)("cross-lingual: $lang query '$query' retrieves $expected first", async ({ query, expected }) => {
    const docs = await retriever.invoke(query);
    expect(docs).toHaveLength(3);
    expect(docs[0]!.id).toBe(expected);
  });

  it("returns new Documents with pageContent, metadata, id and the score in metadata.maxsimScore", async () => {
    const docs = await retriever.invoke("the black cat sleeps in the house");
    const source = FR_DE_DOCS.find((d) => d.id === "fr-cat")!;
    expect(docs[0]).toBeInstanceOf(Document);
    expect(docs[0]!.pageContent).toBe(source.pageContent);
    expect(docs[0]!.metadata).toEqual({
      ...source.metadata,
      [MAXSIM_SCORE_KEY]: docs[0]!.metadata[MAXSIM_SCORE_KEY],
      [MAXSIM_NORMALIZED_SCORE_KEY]: docs[0]!.metadata[MAXSIM_NORMALIZED_SCORE_KEY],
    });
    // The normalised score is the core query's: raw score over the query's token count.
    const core = await retriever.collection.query("the black cat sleeps in the house", { k: docs.length });
    expect(docs.map((d) => d.metadata[MAXSIM_NORMALIZED_SCORE_KEY])).toEqual(core.map((c) => c.normalizedScore));
    for (const d of docs) expect(Math.abs(d.metadata[MAXSIM_NORMALIZED_SCORE_KEY] as number)).toBeLessThanOrEqual(1);
    const scores = docs.map((d) => d.metadata[MAXSIM_SCORE_KEY] as number);
    expect(scores.every((s) => typeof s === "number" && Number.isFinite(s))).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores[0]!).toBeGreaterThan(scores[1]!);
    // the caller's documents are untouched
    expect(source.metadata).toEqual({ lang: "fr", topic: "animals" });
  });

  it("runs inside an LCEL RAG chain and the retrieved context reaches the prompt", async () => {
    const format = (docs: DocumentInterface[]) => docs.map((d) => d.pageContent).join("\n");
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "Answer from this context only:\n{context}"],
      ["human", "{question}"],
    ]);
    const llm = new FakeListChatModel({ responses: ["Le chat dort."] });
    const chain = RunnableSequence.from([{ context: retriever.pipe(format), question: new RunnablePassthrough() }, prompt, llm, new StringOutputParser()]);
    const seen: BaseMessage[][] = [];
    const spy = BaseCallbackHandler.fromMethods({
      handleChatModelStart(_llm, messages) {
        seen.push(...messages);
      },
    });
    const question = "where does the black cat sleep?";
    const answer = await chain.invoke(question, { callbacks: [spy] });
    expect(answer).toBe("Le chat dort.");
    const expectedContext = format(await retriever.invoke(question));
    expect(expectedContext.split("\n")[0]).toBe("Le chat noir dort dans la maison.");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((m) => m.content)).toEqual([`Answer from this context only:\n${expectedContext}`, question]);
  });

  it("batch answers each query like invoke", async () => {
    const queries = CROSS_LINGUAL_QUERIES.map((q) => q.query);
    const batched = await retriever.batch(queries);
    expect(batched.map((docs) => docs[0]!.id)).toEqual(CROSS_LINGUAL_QUERIES.map((q) => q.expected));
    expect(ids(batched[3]!)).toEqual(ids(await retriever.invoke(queries[3]!)));
  });

  it("stream yields the documents once", async () => {
    const chunks: DocumentInterface[][] = [];
    for await (const chunk of await retriever.stream("el perro bebe agua")) chunks.push(chunk);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]![0]!.id).toBe("de-dog");
  });

  it("callbacks see retriever start and end with the documents", async () => {
    const events: { kind: string; query?: string; docs?: DocumentInterface[] }[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleRetrieverStart(_retriever, query) {
        events.push({ kind: "start", query });
      },
      handleRetrieverEnd(docs) {
        events.push({ kind: "end", docs });
      },
    });
    const docs = await retriever.invoke("the fast train", { callbacks: [handler] });
    expect(events.map((e) => e.kind)).toEqual(["start", "end"]);
    expect(events[0]!.query).toBe("the fast train");
    expect(events[1]!.docs).toEqual(docs);
  });

  it("an aborted signal in the call config rejects with core's ABORTED", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await retriever.invoke("the black cat", { signal: controller.signal }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("ABORTED");
  });

  it("k, filter and exact per instance and per call via configurable.maxsim", async () => {
    const query = "the dog drinks water";
    expect(await retriever.invoke(query, { configurable: { maxsim: { k: 1 } } })).toHaveLength(1);
    expect(await retriever.invoke(query, { configurable: { maxsim: { k: 0 } } })).toEqual([]);
    const german = retriever.withConfig({ configurable: { maxsim: { filter: { lang: "de" }, k: 10 } } });
    const docs = await german.invoke(query);
    expect(ids(docs).sort()).toEqual(["de-dog", "de-library", "de-train"]);
    const exact = await retriever.invoke(query, { configurable: { maxsim: { exact: true } } });
    expect(ids(exact)[0]).toBe("de-dog");
    // a per-instance filter: a predicate over metadata
    const animals = new MaxSimRetriever({ collection: retriever.collection, k: 10, filter: (m) => m.topic === "animals" });
    expect(ids(await animals.invoke(query)).sort()).toEqual(["de-dog", "fr-cat"]);
    // a per-call field overrides only itself
    expect(ids(await animals.invoke(query, { configurable: { maxsim: { k: 1 } } }))).toEqual(["de-dog"]);
    // an invalid filter is core's INVALID_FILTER, unchanged
    const error = await retriever.invoke(query, { configurable: { maxsim: { filter: { lang: { $like: "d%" } } } } }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("INVALID_FILTER");
  });

  it("the call config reaches the search through batch (per item), stream, streamEvents, pipe, withConfig and sequences", async () => {
    const query = "the dog drinks water";
    const k = (n: number) => ({ configurable: { maxsim: { k: n } } });
    expect((await retriever.batch([query, query, query], [k(1), k(2), k(0)])).map((d) => d.length)).toEqual([1, 2, 0]);
    const streamed: number[] = [];
    for await (const chunk of await retriever.stream(query, k(1))) streamed.push(chunk.length);
    expect(streamed).toEqual([1]);
    const ended: string[][] = [];
    for await (const e of retriever.streamEvents(query, { version: "v2", ...k(2) })) {
      if (e.event === "on_retriever_end") ended.push((e.data.output as DocumentInterface[]).map((d) => d.id!));
    }
    expect(ended).toEqual([["de-dog", expect.any(String)]]);
    const count = (docs: DocumentInterface[]) => docs.length;
    expect(await retriever.pipe(count).invoke(query, k(1))).toBe(1);
    expect(await retriever.withConfig(k(2)).pipe(count).invoke(query)).toBe(2);
    expect(await RunnableSequence.from([(q: string) => q, retriever, count]).invoke(query, k(1))).toBe(1);
    // A call made inside another runnable without passing the config inherits it (LangChain's implicit config).
    const inner = RunnableLambda.from(async (q: string) => (await retriever.invoke(q)).length);
    expect(await inner.invoke(query, k(1))).toBe(1);
    expect(await inner.invoke(query)).toBe(3);
  });

  it("runName, tags and metadata reach the callbacks; an aborted signal rejects inside a sequence too", async () => {
    const starts: { name?: string; tags?: string[]; metadata?: Record<string, unknown> }[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleRetrieverStart(_r, _q, _id, _parent, tags, metadata, name) {
        starts.push({ name, tags, metadata });
      },
    });
    const tagged = new MaxSimRetriever({ collection: retriever.collection, tags: ["maxsim"], metadata: { corpus: "fr-de" } });
    await tagged.invoke("the cat", { runName: "cross-lingual", callbacks: [handler], tags: ["call"] });
    await tagged.withConfig({ runName: "bound" }).invoke("the cat", { callbacks: [handler] });
    expect(starts.map((s) => s.name)).toEqual(["cross-lingual", "bound"]);
    expect(starts[0]!.tags).toEqual(expect.arrayContaining(["maxsim", "call"]));
    expect(starts[0]!.metadata).toMatchObject({ corpus: "fr-de" });
    const controller = new AbortController();
    controller.abort();
    await expect(RunnableSequence.from([(q: string) => q, retriever]).invoke("the cat", { signal: controller.signal })).rejects.toThrow();
  });

  it("explain adds the token matches with character spans into pageContent", async () => {
    const [doc] = await retriever.invoke("the dog drinks water", { configurable: { maxsim: { k: 1, explain: true } } });
    const matches = doc!.metadata[MAXSIM_MATCHES_KEY] as { docToken: string; score: number; span: [number, number] | null }[];
    expect(Array.isArray(matches)).toBe(true);
    const total = matches.reduce((sum, m) => sum + m.score, 0);
    expect(total).toBeCloseTo(doc!.metadata[MAXSIM_SCORE_KEY] as number, 4);
    const matched = matches.flatMap((m) => (m.span === null ? [] : [doc!.pageContent.slice(m.span[0], m.span[1]).toLowerCase()]));
    expect(matched).toEqual(expect.arrayContaining(["hund", "trinkt", "wasser"]));
  });

  it("explain encodes each query once and gives the matches the collection's explain gives", async () => {
    // The real encoder, observed: it still runs the model.
    const spy = vi.spyOn(encoder, "encodeQueries");
    try {
      const queries = ["the dog drinks water", "the black cat sleeps in the house"];
      const lists = await retriever.batch(queries, { configurable: { maxsim: { k: 3, explain: true } } });
      expect(spy.mock.calls.map((call) => call[0]).sort()).toEqual(queries.map((q) => [q]).sort());
      spy.mockRestore();
      for (const [i, docs] of lists.entries()) {
        expect(docs).toHaveLength(3);
        for (const doc of docs) expect(doc.metadata[MAXSIM_MATCHES_KEY]).toEqual((await retriever.collection.explain(queries[i]!, doc.id!)).matches);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it("addDocuments and delete are reflected in results", async () => {
    const own = await MaxSimRetriever.fromTexts(["Le chat dort.", "Der Hund trinkt Wasser."], [{ lang: "fr" }, { lang: "de" }], {
      model: encoder,
      k: 5,
    });
    try {
      const bird = new Document({ pageContent: "El pájaro canta en el árbol.", metadata: { lang: "es" } });
      expect(await own.addDocuments([bird], { ids: ["es-bird"] })).toEqual(["es-bird"]);
      expect(bird.id).toBeUndefined();
      expect((await own.invoke("the bird sings in the tree"))[0]!.id).toBe("es-bird");
      expect(await own.delete({ ids: ["es-bird"] })).toBe(1);
      expect(ids(await own.invoke("the bird sings in the tree"))).not.toContain("es-bird");
      expect(own.collection.size).toBe(2);
      const error = await own.addDocuments([bird], { ids: ["a", "b"] }).catch((e: unknown) => e);
      expect(MaxsimError.isInstance(error) && error.code).toBe("INVALID_INPUT");
    } finally {
      await own.close();
    }
  });
});
