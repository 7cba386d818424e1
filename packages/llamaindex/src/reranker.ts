/**
 * `MaxSimReranker`: a LlamaIndex node postprocessor that reorders any retriever's nodes by
 * late-interaction MaxSim, via `rerank` of `@maxsim/core` (no index needed). Shaped like
 * LlamaIndex's own rerankers (`CohereRerank`): `topN`, `postprocessNodes(nodes, query)`.
 */
import { LazyEncoder, MaxsimError, rerank } from "@maxsim/core";
import type { ColBERTOptions, Encoder } from "@maxsim/core";
import { MetadataMode, extractText } from "llamaindex";
import type { BaseNodePostprocessor, MessageContent, NodeWithScore } from "llamaindex";

/** Options of the {@link MaxSimReranker} constructor. */
export interface MaxSimRerankerOptions {
  /** The ColBERT encoder (e.g. `retriever.collection.encoder`, or `ColBERT.fromPretrained(...)`). */
  encoder?: Encoder;
  /**
   * Instead of `encoder`: a hub id or model directory, loaded on the first `postprocessNodes`
   * and released by {@link MaxSimReranker.close}.
   */
  model?: string;
  /** Loading options of `model`. */
  modelOptions?: ColBERTOptions;
  /**
   * How many nodes to keep, best first.
   * @defaultValue `2` (as LlamaIndex's `CohereRerank`)
   */
  topN?: number;
  /**
   * Which text of a node is scored.
   * @defaultValue `MetadataMode.EMBED`, the text {@link MaxSimRetriever} encodes, so both agree on scores
   */
  metadataMode?: MetadataMode;
}

/** Options of {@link MaxSimReranker.fromPretrained}. */
export interface MaxSimRerankerLoadOptions extends Omit<MaxSimRerankerOptions, "encoder" | "model"> {
  /** Loading options of the model. */
  modelOptions?: ColBERTOptions;
}

/**
 * Reranks nodes by MaxSim and keeps the best `topN`, with the MaxSim score in `score`. Returns new
 * `NodeWithScore` objects; the nodes themselves are shared, never modified.
 *
 * @example
 * ```ts
 * import { MetadataMode, TextNode } from "llamaindex";
 * import { MaxSimReranker } from "@maxsim/llamaindex";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { multilingual } = await ensureFixtures(); // an offline model; use e.g. "LiquidAI/LFM2-ColBERT-350M"
 * const reranker = await MaxSimReranker.fromPretrained(multilingual, { topN: 1 });
 * const firstStage = [
 *   { node: new TextNode({ text: "Der Hund bellt" }), score: 0.9 },
 *   { node: new TextNode({ text: "Le chat dort" }), score: 0.1 },
 * ];
 * const [best] = await reranker.postprocessNodes(firstStage, "Where does the cat sleep?");
 * console.log(best?.node.getContent(MetadataMode.NONE)); // Le chat dort
 * // In an engine: new RetrieverQueryEngine(retriever, undefined, [reranker])
 * await reranker.close();
 * ```
 */
export class MaxSimReranker implements BaseNodePostprocessor {
  readonly topN: number;
  readonly metadataMode: MetadataMode;
  /** The encoder given, or the model loaded on first use (shared with `@maxsim/langchain`). */
  readonly #source: LazyEncoder;

  /**
   * @throws MaxsimError `INVALID_OPTION` without a valid encoder or model (naming `fromPretrained`)
   */
  constructor(options: MaxSimRerankerOptions) {
    this.#source = new LazyEncoder(options, { owner: "MaxSimReranker", firstUse: "postprocessNodes" });
    this.topN = options.topN ?? 2;
    this.metadataMode = options.metadataMode ?? MetadataMode.EMBED;
  }

  /**
   * Loads a ColBERT model (hub id or directory) and returns a reranker over it.
   *
   * @throws MaxsimError from core: `MODEL_NOT_FOUND`, `HUB_OFFLINE`, `UNSUPPORTED_MODEL`, …
   * @example
   * ```ts
   * import { MaxSimReranker } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { multilingual } = await ensureFixtures();
   * const reranker = await MaxSimReranker.fromPretrained(multilingual, { topN: 3 });
   * console.log(reranker.topN, reranker.encoder.dim > 0); // 3 true
   * await reranker.close();
   * ```
   */
  static async fromPretrained(modelIdOrDir: string, options: MaxSimRerankerLoadOptions = {}): Promise<MaxSimReranker> {
    const { modelOptions, ...rest } = options;
    return LazyEncoder.loadFor(
      modelIdOrDir,
      modelOptions,
      (encoder) => new this({ ...rest, encoder }),
      (reranker) => reranker.#source,
    );
  }

  /**
   * Releases the encoder when {@link MaxSimReranker.fromPretrained} loaded it; an encoder passed to
   * the constructor stays the caller's.
   *
   * @example
   * ```ts
   * import { MaxSimReranker } from "@maxsim/llamaindex";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const reranker = await MaxSimReranker.fromPretrained((await ensureFixtures()).multilingual);
   * await reranker.close();
   * console.log("closed"); // closed
   * ```
   */
  async close(): Promise<void> {
    await this.#source.close();
  }

  /**
   * The encoder scoring the nodes.
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
   * Scores `nodes` against `query` with MaxSim and returns the best `topN`, best first.
   *
   * @throws MaxsimError `INVALID_INPUT` without a query; from core, `INVALID_OPTION` for a bad `topN`
   * @example
   * ```ts
   * import { TextNode } from "llamaindex";
   * import { MaxSimReranker } from "@maxsim/llamaindex";
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
   * const nodes = [{ node: new TextNode({ id_: "a", text: "El perro come" }) }, { node: new TextNode({ id_: "b", text: "猫 睡觉" }) }];
   * const out = await new MaxSimReranker({ encoder, topN: 2 }).postprocessNodes(nodes, "Die Katze schläft");
   * console.log(out.map((n) => n.node.id_)); // [ 'b', 'a' ]
   * await encoder.dispose();
   * ```
   */
  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (query === undefined) {
      throw new MaxsimError(
        "INVALID_INPUT",
        "MaxSimReranker.postprocessNodes needs the query. Pass it as the second argument (query engines and chat engines do).",
      );
    }
    if (nodes.length === 0) return [];
    const texts = nodes.map((n) => n.node.getContent(this.metadataMode));
    const ranked = await rerank(await this.load(), extractText(query), texts, { topN: this.topN });
    return ranked.map(({ index, score }) => ({ node: nodes[index]!.node, score }));
  }
}
