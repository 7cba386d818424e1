import { ColBERT, Collection, MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { BaseEmbedding, Document, MetadataMode, SentenceSplitter, SimpleVectorStore, TextNode, VectorStoreQueryMode } from "llamaindex";
import type { BaseNode, MetadataFilters } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAXSIM_NORMALIZED_SCORE_KEY, MaxSimRetriever } from "../src/index.js";
import { mixedDocuments } from "./corpus.js";

let encoder: ColBERT;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
});

afterAll(async () => {
  await encoder?.dispose();
});

/** The oracle store needs an embedding model; its vectors play no part in which nodes pass. */
class ConstantEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }
  async getTextEmbedding(): Promise<number[]> {
    return [1, 0];
  }
}

function expectMaxsimError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(MaxsimError.isInstance(error)).toBe(true);
    expect((error as MaxsimError).code).toBe(code);
    return;
  }
  throw new Error(`expected MaxsimError ${code}`);
}

describe("MaxSimRetriever.retrieve", () => {
  let retriever: MaxSimRetriever;
  const docs = mixedDocuments();
  const before = JSON.stringify(docs);

  beforeAll(async () => {
    retriever = await MaxSimRetriever.fromDocuments(docs, { model: encoder, similarityTopK: 3, metadataMode: MetadataMode.NONE });
  });
  afterAll(async () => {
    await retriever?.collection.close();
  });

  it("ranks the matching node first with descending MaxSim scores, as core does", async () => {
    const results = await retriever.retrieve({ query: "the dog drinks water in the garden" });
    expect(results).toHaveLength(3);
    expect(results[0]!.node.sourceNode?.nodeId).toBe("d-dog");
    const scores = results.map((r) => r.score!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores[0]!).toBeGreaterThan(scores[1]!);
    // The wrapper adds nothing to core's ranking: same ids, same scores.
    const core = await retriever.collection.query("the dog drinks water in the garden", { k: 3 });
    expect(results.map((r) => r.node.id_)).toEqual(core.map((c) => c.id));
    expect(scores).toEqual(core.map((c) => c.score));
  });

  it("keeps node ids, text, metadata and the source relationship (ref_doc_id)", async () => {
    const [best] = await retriever.retrieve({ query: "café" });
    expect(best).toBeDefined();
    const node = best!.node;
    expect(node).toBeInstanceOf(TextNode);
    expect(node.sourceNode?.nodeId).toBe("d-coffee");
    expect(node.getContent(MetadataMode.NONE)).toBe("El café caliente en la cocina");
    const { [MAXSIM_NORMALIZED_SCORE_KEY]: normalized, ...metadata } = node.metadata;
    expect(metadata).toEqual({ lang: "es", year: 2022, tags: ["food", "home"], title: "hot coffee" });
    // The normalised score: in node metadata, kept out of the text an LLM or embedder sees.
    expect(typeof normalized).toBe("number");
    expect(Math.abs(normalized as number)).toBeLessThanOrEqual(1);
    expect(node.getContent(MetadataMode.LLM)).not.toContain("maxsimNormalizedScore");
    expect(node.getContent(MetadataMode.EMBED)).not.toContain("maxsimNormalizedScore");
    expect((await retriever.collection.getDocuments([node.id_]))[0]?.id).toBe(node.id_);
  });

  it("never mutates the caller's documents", () => {
    expect(JSON.stringify(docs)).toBe(before);
  });

  it("returns nothing for similarityTopK 0", async () => {
    const zero = new MaxSimRetriever({ collection: retriever.collection, similarityTopK: 0 });
    expect(await zero.retrieve({ query: "cat" })).toEqual([]);
  });
});

describe("a collection built without LlamaIndex", () => {
  it("comes back as plain TextNodes with the stored id, text and metadata", async () => {
    const collection = await Collection.create(null, { model: encoder });
    await collection.addDocuments([
      { id: "cli-1", text: "Le chat dort", metadata: { lang: "fr" } },
      { id: "cli-2", text: "El perro come", metadata: { lang: "es" } },
    ]);
    const retriever = new MaxSimRetriever({ collection, similarityTopK: 1 });
    try {
      const [hit] = await retriever.retrieve({ query: "the dog eats" });
      expect(hit!.node).toBeInstanceOf(TextNode);
      const [core] = await collection.query("the dog eats", { k: 1 });
      expect([hit!.node.id_, hit!.node.getContent(MetadataMode.NONE), hit!.node.metadata]).toEqual([
        "cli-2",
        "El perro come",
        { lang: "es", [MAXSIM_NORMALIZED_SCORE_KEY]: core!.normalizedScore },
      ]);
      expect(hit!.score).toBe(core!.score);
    } finally {
      await retriever.close();
    }
  });
});

describe("MetadataMode", () => {
  it("encodes metadata with the text by default (EMBED), and only the text with NONE", async () => {
    const nodes = [
      new TextNode({ id_: "music", text: "The cat sleeps", metadata: { topic: "music" } }),
      new TextNode({ id_: "bread", text: "The cat sleeps", metadata: { topic: "bread" } }),
    ];
    const embed = await MaxSimRetriever.fromNodes(nodes, { model: encoder, similarityTopK: 2 });
    const none = await MaxSimRetriever.fromNodes(nodes, { model: encoder, similarityTopK: 2, metadataMode: MetadataMode.NONE });
    try {
      const [a, b] = await embed.retrieve({ query: "bread" });
      expect(a!.node.id_).toBe("bread");
      expect(a!.score!).toBeGreaterThan(b!.score!);
      const [c, d] = await none.retrieve({ query: "bread" });
      expect(c!.score).toBe(d!.score);
    } finally {
      await embed.collection.close();
      await none.collection.close();
    }
  });
});

describe("MetadataFilters", () => {
  let retriever: MaxSimRetriever;
  let nodes: BaseNode[];
  let oracle: SimpleVectorStore;
  const query = "animal home cat dog coffee rain";

  beforeAll(async () => {
    nodes = new SentenceSplitter().getNodesFromDocuments(mixedDocuments());
    retriever = await MaxSimRetriever.fromNodes(nodes, { model: encoder, similarityTopK: nodes.length, metadataMode: MetadataMode.NONE });
    // LlamaIndex's own in-memory store decides which nodes a filter lets through.
    oracle = new SimpleVectorStore({ embedModel: new ConstantEmbedding() });
    await oracle.add(
      nodes.map((n) => {
        const copy = n.clone();
        copy.embedding = [1, 0];
        return copy;
      }),
    );
  });
  afterAll(async () => {
    await retriever?.collection.close();
  });

  const cases: [string, MetadataFilters][] = [
    ["==", { filters: [{ key: "lang", value: "de", operator: "==" }] }],
    ["!=", { filters: [{ key: "lang", value: "en", operator: "!=" }] }],
    ["!= on a key some nodes lack", { filters: [{ key: "rating", value: 4, operator: "!=" }] }],
    [">", { filters: [{ key: "year", value: 2020, operator: ">" }] }],
    ["<", { filters: [{ key: "year", value: 2020, operator: "<" }] }],
    [">=", { filters: [{ key: "year", value: 2021, operator: ">=" }] }],
    ["<=", { filters: [{ key: "rating", value: 4, operator: "<=" }] }],
    ["in", { filters: [{ key: "lang", value: ["de", "fr", "zh"], operator: "in" }] }],
    ["nin", { filters: [{ key: "lang", value: ["de", "fr"], operator: "nin" }] }],
    ["nin on a key some nodes lack", { filters: [{ key: "rating", value: [5], operator: "nin" }] }],
    ["contains", { filters: [{ key: "tags", value: "home", operator: "contains" }] }],
    ["any", { filters: [{ key: "tags", value: ["travel", "health"], operator: "any" }] }],
    ["all", { filters: [{ key: "tags", value: ["animal", "home"], operator: "all" }] }],
    ["text_match", { filters: [{ key: "title", value: "rain", operator: "text_match" }] }],
    ["text_match on an array field (membership, as LlamaIndex's includes)", { filters: [{ key: "tags", value: "home", operator: "text_match" }] }],
    [
      "and",
      {
        filters: [
          { key: "year", value: 2019, operator: ">=" },
          { key: "tags", value: "animal", operator: "contains" },
        ],
        condition: "and",
      },
    ],
    [
      "or",
      {
        filters: [
          { key: "lang", value: "zh", operator: "==" },
          { key: "year", value: 2021, operator: ">" },
        ],
        condition: "or",
      },
    ],
    [
      "or with text_match",
      {
        filters: [
          { key: "title", value: "dog", operator: "text_match" },
          { key: "rating", value: 5, operator: ">=" },
        ],
        condition: "or",
      },
    ],
    [
      "and with text_match",
      {
        filters: [
          { key: "title", value: "o", operator: "text_match" },
          { key: "tags", value: ["home", "weather"], operator: "any" },
        ],
      },
    ],
  ];

  it.each(cases)("%s equals brute force: the unfiltered ranking restricted to LlamaIndex's matches", async (_, filters) => {
    const passing = new Set((await oracle.query({ queryEmbedding: [1, 0], similarityTopK: nodes.length, mode: VectorStoreQueryMode.DEFAULT, filters })).ids);
    expect(passing.size).toBeGreaterThan(0);
    expect(passing.size).toBeLessThan(nodes.length);
    const all = await new MaxSimRetriever({ collection: retriever.collection, similarityTopK: nodes.length, exact: true }).retrieve({ query });
    const k = 2;
    const expected = all.filter((r) => passing.has(r.node.id_)).slice(0, k);
    const filtered = await new MaxSimRetriever({ collection: retriever.collection, similarityTopK: k, filters, exact: true }).retrieve({ query });
    expect(filtered.map((r) => [r.node.id_, r.score])).toEqual(expected.map((r) => [r.node.id_, r.score]));
  });

  it("an empty filter list filters nothing", async () => {
    const r = new MaxSimRetriever({ collection: retriever.collection, similarityTopK: nodes.length, filters: { filters: [] } });
    expect(await r.retrieve({ query })).toHaveLength(nodes.length);
  });

  it("rejects operators core cannot express with INVALID_FILTER, at construction", () => {
    expectMaxsimError(
      () => new MaxSimRetriever({ collection: retriever.collection, filters: { filters: [{ key: "tags", operator: "is_empty" }] } }),
      "INVALID_FILTER",
    );
    expectMaxsimError(
      () => new MaxSimRetriever({ collection: retriever.collection, filters: { filters: [{ key: "lang", value: ["a"], operator: "==" }] } }),
      "INVALID_FILTER",
    );
  });
});

describe("insert and deleteRefDoc", () => {
  it("splits inserted documents, finds them, and deletes every node of a document", async () => {
    const base = await MaxSimRetriever.fromDocuments(mixedDocuments(), { model: encoder, metadataMode: MetadataMode.NONE });
    // A second retriever over the same collection, with a small splitter for the long document.
    const splitter = new SentenceSplitter({ chunkSize: 24, chunkOverlap: 0 });
    const retriever = new MaxSimRetriever({ collection: base.collection, similarityTopK: 1, metadataMode: MetadataMode.NONE, splitter });
    try {
      const start = retriever.collection.size;
      const long = new Document({
        id_: "d-long",
        text: "The elephant eats bread in the village. The monkey plays football at the school. The horse drinks milk near the river. The lion sleeps under the tree.",
      });
      const ids = await retriever.insert([long, new TextNode({ id_: "n-piano", text: "Das Klavier spielt Musik" })]);
      expect(ids.length).toBeGreaterThan(2);
      expect(ids.at(-1)).toBe("n-piano");
      expect(retriever.collection.size).toBe(start + ids.length);
      const [hit] = await retriever.retrieve({ query: "monkey football school" });
      expect(hit!.node.sourceNode?.nodeId).toBe("d-long");
      expect(hit!.node.getContent(MetadataMode.NONE)).toContain("monkey");
      expect((await retriever.retrieve({ query: "piano music" }))[0]!.node.id_).toBe("n-piano");

      // One metadata-only core call: no stored text is read to find the document's nodes.
      const getDocuments = vi.spyOn(retriever.collection, "getDocuments");
      const deleteWhere = vi.spyOn(retriever.collection, "deleteWhere");
      expect(await retriever.deleteRefDoc("d-long")).toBe(ids.length - 1);
      expect(getDocuments).not.toHaveBeenCalled();
      expect(deleteWhere).toHaveBeenCalledTimes(1);
      getDocuments.mockRestore();
      deleteWhere.mockRestore();
      expect(retriever.collection.size).toBe(start + 1);
      expect((await retriever.retrieve({ query: "monkey football school" }))[0]!.node.sourceNode?.nodeId).not.toBe("d-long");
      expect(await retriever.deleteRefDoc("d-long")).toBe(0);

      // Core errors pass through unchanged.
      await expect(retriever.insertNodes([new TextNode({ id_: "n-piano", text: "again" })])).rejects.toMatchObject({ code: "DUPLICATE_ID" });
    } finally {
      await retriever.collection.close();
    }
  });
});
