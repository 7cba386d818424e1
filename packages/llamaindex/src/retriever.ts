/**
 * `MaxSimRetriever`: a LlamaIndex.TS retriever over a `@maxsim/core` {@link Collection}.
 *
 * Conventions follow LlamaIndex's `VectorIndexRetriever` (`similarityTopK`, `filters`,
 * `MetadataMode.EMBED` for the encoded text) and how its vector stores keep nodes: each node is
 * stored with `nodeToMetadata` (the node JSON in `_node_content`, `ref_doc_id` beside the user's
 * metadata) and rebuilt with `metadataDictToNode`, so ids, metadata and relationships survive a
 * round trip through the directory. The wrapper is thin: retrieval, scoring and filtering happen in
 * core; this file converts nodes in and results out.
 */
import { Collection } from "@maxsim/core";
import { checkRetrieverFields, requireArray } from "@maxsim/core/validation";
import type { ColBERTOptions, CollectionEngine, DocumentInput, Encoder, Filter, QueryResult, RetrievalCollection } from "@maxsim/core";
import {
  BaseRetriever,
  DEFAULT_SIMILARITY_TOP_K,
  MetadataMode,
  ObjectType,
  SentenceSplitter,
  TextNode,
  extractText,
  metadataDictToNode,
  nodeToMetadata,
} from "llamaindex";
import type { BaseNode, MetadataFilters, NodeWithScore, QueryBundle } from "llamaindex";
import { toCoreFilter } from "./filters.js";

/** What splits `Document`s into nodes: any LlamaIndex `NodeParser` (e.g. `SentenceSplitter`). */
export interface NodeSplitter {
  getNodesFromDocuments(documents: TextNode[]): TextNode[] | Promise<TextNode[]>;
}

/** Options of the {@link MaxSimRetriever} constructor. */
export interface MaxSimRetrieverOptions {
  /**
   * The maxsim collection to search: core's `Collection` (in memory or on disk) or any other
   * engine's, e.g. `@maxsim/lancedb`'s `LanceCollection`.
   */
  collection: RetrievalCollection;
  /**
   * Number of nodes returned per query.
   * @defaultValue `DEFAULT_SIMILARITY_TOP_K` of LlamaIndex (2)
   */
  similarityTopK?: number;
  /** LlamaIndex metadata filters applied to every query (translated once, in the constructor). */
  filters?: MetadataFilters;
  /**
   * Which text of a node is encoded on insert, as in `VectorStoreIndex`.
   * @defaultValue `MetadataMode.EMBED` (text plus the metadata not in `excludedEmbedMetadataKeys`)
   */
  metadataMode?: MetadataMode;
  /**
   * Splits `Document`s passed to {@link MaxSimRetriever.insert}.
   * @defaultValue `new SentenceSplitter()`
   */
  splitter?: NodeSplitter;
  /**
   * `true` scores every (matching) node exactly, `false` always uses core's approximate search.
   * @defaultValue core's planner chooses per query (exact while the scan fits its latency budget)
   */
  exact?: boolean;
}

/** Options of the static builders: the constructor options minus the collection, plus where to build it. */
export interface MaxSimRetrieverBuildOptions extends Omit<MaxSimRetrieverOptions, "collection"> {
  /** A hub id, a local model directory or a loaded encoder. */
  model: string | Encoder;
  /** Loading options when `model` is an id or directory. */
  modelOptions?: ColBERTOptions;
  /**
   * Directory of a new persistent collection; reopen it with {@link MaxSimRetriever.fromExistingIndex}.
   * @defaultValue none: an in-memory collection
   */
  directory?: string;
  /**
   * The storage engine that creates the collection (then `directory` is its location, e.g. a
   * LanceDB URI), e.g. `lanceEngine()` from `@maxsim/lancedb`.
   * @defaultValue core's `Collection`
   */
  engine?: CollectionEngine;
}

/** Options of {@link MaxSimRetriever.fromExistingIndex}. */
export interface MaxSimRetrieverOpenOptions extends Omit<MaxSimRetrieverOptions, "collection"> {
  /** The model to use; it must be the one recorded in the collection (e.g. an already loaded encoder). */
  model?: string | Encoder;
  /** Loading options of the model. */
  modelOptions?: ColBERTOptions;
  /**
   * Open without the writer lock, to search while another process writes (inserts then fail).
   * @defaultValue `false`
   */
  readOnly?: boolean;
  /**
   * The storage engine that opens the collection, e.g. `lanceEngine()` from `@maxsim/lancedb`.
   * @defaultValue core's `Collection`
   */
  engine?: CollectionEngine;
}

/** Options of {@link MaxSimRetriever.insert} and {@link MaxSimRetriever.insertNodes}. */
export interface InsertOptions {
  /** Called after each committed batch with nodes done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between batches with `ABORTED`; batches already committed stay. */
  signal?: AbortSignal;
}

function toDocumentInput(node: BaseNode, mode: MetadataMode): DocumentInput {
  // nodeToMetadata serialises a deep copy: the caller's node is never touched.
  return { id: node.id_, text: node.getContent(mode), metadata: nodeToMetadata(node) };
}

function toNodeWithScore(result: QueryResult): NodeWithScore {
  const node =
    typeof result.metadata["_node_content"] === "string"
      ? metadataDictToNode(result.metadata)
      : // A collection built outside LlamaIndex (e.g. `maxsim index`): a plain text node.
        new TextNode({ id_: result.id, text: result.text, metadata: { ...result.metadata } });
  // The normalised score rides in the node's metadata, kept out of LLM and embedding text.
  node.metadata[MAXSIM_NORMALIZED_SCORE_KEY] = result.normalizedScore;
  node.excludedLlmMetadataKeys = [...new Set([...node.excludedLlmMetadataKeys, MAXSIM_NORMALIZED_SCORE_KEY])];
  node.excludedEmbedMetadataKeys = [...new Set([...node.excludedEmbedMetadataKeys, MAXSIM_NORMALIZED_SCORE_KEY])];
  return { node, score: result.score };
}

/**
 * The node `metadata` key of a retrieved node's normalised MaxSim score: `score` divided by the
 * number of query tokens, in [−1, 1], so one threshold means the same for every query length.
 */
export const MAXSIM_NORMALIZED_SCORE_KEY = "maxsimNormalizedScore";

/**
 * A LlamaIndex retriever that ranks nodes by late-interaction MaxSim (ColBERT) with `@maxsim/core`.
 * Use it wherever LlamaIndex takes a retriever: `RetrieverQueryEngine`, `ContextChatEngine`, agents.
 *
 * Results are new nodes rebuilt from the collection (ids, metadata and relationships as
 * inserted), best first, with the MaxSim score in `score` and the normalised score (score / query
 * tokens) in `node.metadata.maxsimNormalizedScore` ({@link MAXSIM_NORMALIZED_SCORE_KEY}).
 *
 * @example
 * ```ts
 * import { Document } from "llamaindex";
 * import { MaxSimRetriever } from "@maxsim/llamaindex";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { multilingual } = await ensureFixtures(); // an offline model; use e.g. "LiquidAI/LFM2-ColBERT-350M"
 * const retriever = await MaxSimRetriever.fromDocuments(
 *   [new Document({ id_: "zh", text: "猫 在 床 上 睡觉" }), new Document({ id_: "ar", text: "الكلب يأكل اللحم" })],
 *   { model: multilingual, similarityTopK: 1 },
 * );
 * const [best] = await retriever.retrieve({ query: "Where does the cat sleep?" });
 * console.log(best?.node.sourceNode?.nodeId); // zh
 * await retriever.close();
 * ```
 */
export class MaxSimRetriever extends BaseRetriever {
  readonly collection: RetrievalCollection;
  readonly similarityTopK: number;
  readonly filters: MetadataFilters | undefined;
  readonly metadataMode: MetadataMode;
  readonly splitter: NodeSplitter;
  readonly exact: boolean | undefined;
  /** `filters` in core's filter language. */
  private readonly coreFilter: Filter | undefined;

  /**
   * @throws MaxsimError `INVALID_FILTER` when `filters` uses an operator core cannot express
   */
  constructor(options: MaxSimRetrieverOptions) {
    checkRetrieverFields("MaxSimRetriever", options, "fromDocuments(documents, { model }) / fromNodes(nodes, { model }) / fromExistingIndex(directory)");
    super();
    this.collection = options.collection;
    this.similarityTopK = options.similarityTopK ?? DEFAULT_SIMILARITY_TOP_K;
    this.filters = options.filters;
    this.metadataMode = options.metadataMode ?? MetadataMode.EMBED;
    this.splitter = options.splitter ?? new SentenceSplitter();
    this.exact = options.exact;
    this.coreFilter = toCoreFilter(options.filters);
  }

  /**
   * Splits `documents` (with `splitter`, default `SentenceSplitter`) and indexes the nodes in a new
   * collection: in memory, or in `directory` when given.
   *
   * @throws MaxsimError from core: `MODEL_NOT_FOUND`, `HUB_OFFLINE`, `INDEX_EXISTS`, `DUPLICATE_ID`, `INVALID_FILTER`, …
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { Document } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const directory = join(await mkdtemp(join(tmpdir(), "maxsim-")), "index");
   * const docs = [new Document({ id_: "fr", text: "Le chat dort sur le lit" }), new Document({ id_: "es", text: "El perro come carne" })];
   * const retriever = await MaxSimRetriever.fromDocuments(docs, { model: multilingual, similarityTopK: 5, directory });
   * console.log(retriever.collection.size); // 2
   * await retriever.close();
   * ```
   */
  static async fromDocuments(documents: TextNode[], options: MaxSimRetrieverBuildOptions): Promise<MaxSimRetriever> {
    requireArray("MaxSimRetriever.fromDocuments", "documents", documents, '[new Document({ text: "…" })]');
    const retriever = await this.build(options);
    return this.filled(retriever, () => retriever.insert(documents));
  }

  /**
   * Indexes `nodes` as they are (no splitting) in a new collection, like `VectorStoreIndex.init({ nodes })`.
   *
   * @throws MaxsimError from core, as {@link MaxSimRetriever.fromDocuments}
   * @example
   * ```ts
   * import { Document, SentenceSplitter } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const nodes = new SentenceSplitter({ chunkSize: 256 }).getNodesFromDocuments([new Document({ id_: "de", text: "Der Hund trinkt Wasser." })]);
   * const retriever = await MaxSimRetriever.fromNodes(nodes, { model: multilingual });
   * const [hit] = await retriever.retrieve({ query: "dog" });
   * console.log(hit?.node.id_ === nodes[0]?.id_, hit?.node.sourceNode?.nodeId); // true de
   * await retriever.close();
   * ```
   */
  static async fromNodes(nodes: BaseNode[], options: MaxSimRetrieverBuildOptions): Promise<MaxSimRetriever> {
    requireArray("MaxSimRetriever.fromNodes", "nodes", nodes, '[new TextNode({ text: "…" })]');
    const retriever = await this.build(options);
    return this.filled(retriever, () => retriever.insertNodes(nodes));
  }

  /**
   * Opens a collection written earlier (by `fromDocuments`/`fromNodes` with a `directory`, or by
   * the `maxsim` CLI) with the model recorded in it.
   *
   * @throws MaxsimError from core: `INDEX_NOT_FOUND`, `INDEX_CORRUPT`, `INDEX_LOCKED` (another process writes; pass `readOnly`), `MODEL_MISMATCH`, …
   * @example
   * ```ts
   * import { mkdtemp } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { Document } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const directory = join(await mkdtemp(join(tmpdir(), "maxsim-")), "index");
   * const built = await MaxSimRetriever.fromDocuments([new Document({ id_: "fr", text: "Le chat dort" })], { model: multilingual, directory });
   * await built.close();
   * const retriever = await MaxSimRetriever.fromExistingIndex(directory, { similarityTopK: 5 });
   * console.log((await retriever.retrieve({ query: "cat" }))[0]?.node.sourceNode?.nodeId); // fr
   * await retriever.close();
   * ```
   */
  static async fromExistingIndex(directory: string, options: MaxSimRetrieverOpenOptions = {}): Promise<MaxSimRetriever> {
    const { model, modelOptions, readOnly, engine = Collection, ...rest } = options;
    const collection = await engine.open(directory, { model, modelOptions, readOnly });
    return new this({ ...rest, collection });
  }

  private static async build(options: MaxSimRetrieverBuildOptions): Promise<MaxSimRetriever> {
    const { model, modelOptions, directory, engine = Collection, ...rest } = options;
    const collection = await engine.create(directory ?? null, modelOptions === undefined ? { model } : { model, modelOptions });
    try {
      return new this({ ...rest, collection });
    } catch (error) {
      await collection.close();
      throw error;
    }
  }

  /** Runs the first insert of a builder; closes the new collection when it fails. */
  private static async filled(retriever: MaxSimRetriever, insert: () => Promise<unknown>): Promise<MaxSimRetriever> {
    try {
      await insert();
      return retriever;
    } catch (error) {
      await retriever.collection.close();
      throw error;
    }
  }

  /** One core query per call: the query text, `similarityTopK` and the translated filters. */
  override async _retrieve(params: QueryBundle): Promise<NodeWithScore[]> {
    const results = await this.collection.query(extractText(params.query), {
      k: this.similarityTopK,
      filter: this.coreFilter,
      exact: this.exact,
    });
    return results.map(toNodeWithScore);
  }

  /**
   * Adds documents and nodes: each `Document` is split with `splitter`, other nodes are added as
   * they are (as `VectorStoreIndex.insert`).
   *
   * @returns the ids of the nodes added, in order
   * @throws MaxsimError from core: `DUPLICATE_ID` when a node id is already indexed, `EMPTY_INPUT`, `ABORTED`, …
   * @example
   * ```ts
   * import { Document, TextNode } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const retriever = await MaxSimRetriever.fromDocuments([], { model: multilingual });
   * const ids = await retriever.insert([new Document({ id_: "fr-1", text: "Le chat dort." }), new TextNode({ id_: "de-1", text: "Der Hund bellt." })]);
   * console.log(ids.length, ids[1]); // 2 de-1
   * await retriever.close();
   * ```
   */
  async insert(documentsOrNodes: BaseNode[], options: InsertOptions = {}): Promise<string[]> {
    requireArray("MaxSimRetriever.insert", "documents", documentsOrNodes, '[new Document({ text: "…" })]');
    const nodes: BaseNode[] = [];
    for (const node of documentsOrNodes) {
      if (node.type === ObjectType.DOCUMENT && node instanceof TextNode) {
        nodes.push(...(await this.splitter.getNodesFromDocuments([node])));
      } else {
        nodes.push(node);
      }
    }
    return this.insertNodes(nodes, options);
  }

  /**
   * Adds nodes as they are, without splitting.
   *
   * @returns the ids of the nodes added, in order
   * @throws MaxsimError from core: `DUPLICATE_ID`, `EMPTY_INPUT`, `ABORTED`, …
   * @example
   * ```ts
   * import { TextNode } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const retriever = await MaxSimRetriever.fromNodes([], { model: multilingual });
   * console.log(await retriever.insertNodes([new TextNode({ id_: "de-1", text: "Der Hund bellt." })])); // [ 'de-1' ]
   * await retriever.close();
   * ```
   */
  async insertNodes(nodes: BaseNode[], options: InsertOptions = {}): Promise<string[]> {
    requireArray("MaxSimRetriever.insertNodes", "nodes", nodes, '[new TextNode({ text: "…" })]');
    if (nodes.length === 0) return [];
    return this.collection.addDocuments(
      nodes.map((n) => toDocumentInput(n, this.metadataMode)),
      options,
    );
  }

  /**
   * Closes the collection: releases its index files (and writer lock) and the encoder it loaded.
   * A builder's collection is this retriever's to close; a collection passed to the constructor
   * may be shared, so close it there or here, once.
   *
   * @example
   * ```ts
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const retriever = await MaxSimRetriever.fromNodes([], { model: (await ensureFixtures()).multilingual });
   * await retriever.close();
   * console.log(await retriever.retrieve({ query: "cat" }).catch((e: { code?: string }) => e.code)); // INDEX_CLOSED
   * ```
   */
  async close(): Promise<void> {
    await this.collection.close();
  }

  /**
   * Deletes every node that came from the document `refDocId` (its `ref_doc_id`, the source
   * node id LlamaIndex records when splitting).
   *
   * @returns how many nodes were deleted (0 when none came from it)
   * @example
   * ```ts
   * import { Document } from "llamaindex";
   * import { MaxSimRetriever } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const retriever = await MaxSimRetriever.fromDocuments([new Document({ id_: "fr-1", text: "Le chat dort." })], { model: multilingual });
   * console.log(await retriever.deleteRefDoc("fr-1"), retriever.collection.size); // 1 0
   * await retriever.close();
   * ```
   */
  async deleteRefDoc(refDocId: string): Promise<number> {
    // `nodeToMetadata` stored `ref_doc_id` beside the user's metadata: one core call, metadata only.
    return this.collection.deleteWhere({ ref_doc_id: refDocId });
  }
}
