/**
 * `MaxSimReranker`: a LangChain.js document compressor that reorders the candidates of any
 * first-stage retriever (BM25, a vector store) by late-interaction MaxSim, for use in
 * `ContextualCompressionRetriever` (`@langchain/classic/retrievers/contextual_compression`).
 *
 * Thin over core's index-free `rerank` (which encodes the candidates on the fly and caches their
 * encodings by content hash). Shape follows `libs/providers/langchain-cohere/src/rerank.ts` in
 * langchainjs, except that the caller's documents are never mutated: new ones are returned.
 */
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { LazyEncoder, rerank } from "@maxsim/core";
import type { ColBERTOptions, Encoder } from "@maxsim/core";
import { MAXSIM_SCORE_KEY } from "./retriever.js";

/** Options of the {@link MaxSimReranker} constructor. */
export interface MaxSimRerankerInput {
  /** The ColBERT encoder that scores the candidates (e.g. `retriever.collection.encoder`). */
  encoder?: Encoder;
  /**
   * Instead of `encoder`: a hub id or model directory, loaded on the first `compressDocuments`
   * (as LangChain's own rerankers take a model name) and released by {@link MaxSimReranker.close}.
   */
  model?: string;
  /** Loading options of `model`. */
  modelOptions?: ColBERTOptions;
  /**
   * How many documents to keep.
   * @defaultValue 3 (as LangChain's other rerankers)
   */
  topN?: number;
}

/** Options of {@link MaxSimReranker.fromPretrained}. */
export interface MaxSimRerankerFromPretrainedOptions extends Omit<MaxSimRerankerInput, "encoder" | "model"> {
  /** Passed to `ColBERT.fromPretrained`. */
  modelOptions?: ColBERTOptions;
}

/**
 * Reranks documents by MaxSim and keeps the best `topN`, each as a new `Document` with its score
 * in `metadata.maxsimScore` ({@link MAXSIM_SCORE_KEY}) and its `pageContent`, other metadata and
 * `id` unchanged.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { ColBERT } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * import { MaxSimReranker } from "@maxsim/langchain";
 * const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
 * const reranker = new MaxSimReranker({ encoder, topN: 1 });
 * const [best] = await reranker.compressDocuments(
 *   [new Document({ pageContent: "Der Hund trinkt Wasser." }), new Document({ pageContent: "Le chat dort." })],
 *   "the cat sleeps",
 * );
 * console.log(best.pageContent, typeof best.metadata.maxsimScore); // Le chat dort. number
 * await encoder.dispose();
 * ```
 */
export class MaxSimReranker extends BaseDocumentCompressor {
  topN: number;

  /** The encoder given, or the model loaded on first use (shared with `@maxsim/llamaindex`). */
  readonly #source: LazyEncoder;

  /**
   * @param fields - `encoder` or `model` (loaded on first use), and `topN`
   * @throws MaxsimError `INVALID_OPTION` without a valid encoder or model (naming `fromPretrained`)
   */
  constructor(fields: MaxSimRerankerInput) {
    super();
    this.#source = new LazyEncoder(fields, { owner: "MaxSimReranker", firstUse: "compressDocuments" });
    this.topN = fields.topN ?? 3;
  }

  /**
   * The encoder scoring the candidates.
   *
   * @throws MaxsimError `INVALID_OPTION` while a `{ model }` reranker has not loaded it yet (call {@link MaxSimReranker.load})
   */
  get encoder(): Encoder {
    return this.#source.encoder;
  }

  /** The encoder, loading `model` once when the reranker was built with one. */
  async load(): Promise<Encoder> {
    return this.#source.load();
  }

  /**
   * Loads a ColBERT model (hub id or local directory) and returns a reranker over it.
   *
   * @throws MaxsimError from core: `MODEL_NOT_FOUND`, `HUB_OFFLINE`, `UNKNOWN_LAYOUT`
   * @example
   * ```ts
   * import { Document } from "@langchain/core/documents";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * import { MaxSimReranker } from "@maxsim/langchain";
   * // a hub id such as "LiquidAI/LFM2-ColBERT-350M" or a local model directory
   * const reranker = await MaxSimReranker.fromPretrained((await ensureFixtures()).multilingual, { topN: 1 });
   * const docs = [new Document({ pageContent: "Le chat dort." }), new Document({ pageContent: "Der Hund trinkt Wasser." })];
   * console.log((await reranker.compressDocuments(docs, "the dog drinks water")).map((d) => d.pageContent)); // [ "Der Hund trinkt Wasser." ]
   * await reranker.close();
   * ```
   */
  static async fromPretrained<T extends MaxSimReranker>(
    this: new (
      fields: MaxSimRerankerInput,
    ) => T,
    model: string,
    options: MaxSimRerankerFromPretrainedOptions = {},
  ): Promise<T> {
    const { modelOptions, ...fields } = options;
    return LazyEncoder.loadFor(
      model,
      modelOptions,
      (encoder) => new this({ ...fields, encoder }),
      (reranker) => reranker.#source,
    );
  }

  /** Releases the encoder when this reranker loaded it (fromPretrained, `{ model }`); an encoder passed in stays the caller's. */
  async close(): Promise<void> {
    await this.#source.close();
  }

  /**
   * Orders `documents` by MaxSim against `query` and returns the best `topN` (all when fewer).
   *
   * @param documents - candidates from a first-stage retriever; they are not modified
   * @param query - the user query
   * @returns new documents, best first, with `metadata.maxsimScore`
   * @throws MaxsimError from core: `INVALID_OPTION` (bad `topN`)
   */
  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    const ranked = await rerank(
      await this.load(),
      query,
      documents.map((doc) => doc.pageContent),
      { topN: this.topN },
    );
    return ranked.map(({ index, score }) => {
      const doc = documents[index]!;
      return new Document({ pageContent: doc.pageContent, metadata: { ...doc.metadata, [MAXSIM_SCORE_KEY]: score }, id: doc.id });
    });
  }
}
