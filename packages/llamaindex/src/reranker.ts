/**
 * `MaxSimReranker`: a LlamaIndex node postprocessor that reorders any retriever's nodes by
 * late-interaction MaxSim, via `rerank` of `@maxsim/core` (no index needed). Shaped like
 * LlamaIndex's own rerankers (`CohereRerank`): `topN`, `postprocessNodes(nodes, query)`.
 */
import { ColBERT, MaxsimError, rerank } from "@maxsim/core";
import type { ColBERTOptions, Encoder } from "@maxsim/core";
import { MetadataMode, extractText } from "llamaindex";
import type { BaseNodePostprocessor, MessageContent, NodeWithScore } from "llamaindex";

/** Options of the {@link MaxSimReranker} constructor. */
export interface MaxSimRerankerOptions {
  /** The ColBERT encoder (e.g. `retriever.collection.encoder`, or `ColBERT.fromPretrained(...)`). */
  encoder: Encoder;
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
export interface MaxSimRerankerLoadOptions extends Omit<MaxSimRerankerOptions, "encoder"> {
  /** Loading options of the model. */
  modelOptions?: ColBERTOptions;
}

/**
 * Reranks nodes by MaxSim and keeps the best `topN`, with the MaxSim score in `score`. Returns new
 * `NodeWithScore` objects; the nodes themselves are shared, never modified.
 *
 * @example
 * ```ts
 * import { RetrieverQueryEngine } from "llamaindex";
 * import { MaxSimReranker } from "@maxsim/llamaindex";
 * const reranker = await MaxSimReranker.fromPretrained("LiquidAI/LFM2-ColBERT-350M", { topN: 3 });
 * const engine = new RetrieverQueryEngine(existingRetriever, undefined, [reranker]);
 * const response = await engine.query({ query: "Wo schläft die Katze?" });
 * response.sourceNodes?.length; // ≤ 3, MaxSim scores, best first
 * ```
 */
export class MaxSimReranker implements BaseNodePostprocessor {
  readonly encoder: Encoder;
  readonly topN: number;
  readonly metadataMode: MetadataMode;

  constructor(options: MaxSimRerankerOptions) {
    this.encoder = options.encoder;
    this.topN = options.topN ?? 2;
    this.metadataMode = options.metadataMode ?? MetadataMode.EMBED;
  }

  /**
   * Loads a ColBERT model (hub id or directory) and returns a reranker over it.
   *
   * @throws MaxsimError from core: `MODEL_NOT_FOUND`, `HUB_OFFLINE`, `UNSUPPORTED_MODEL`, …
   * @example
   * ```ts
   * const { multilingual } = await ensureFixtures();
   * const reranker = await MaxSimReranker.fromPretrained(multilingual, { topN: 1 });
   * ```
   */
  static async fromPretrained(modelIdOrDir: string, options: MaxSimRerankerLoadOptions = {}): Promise<MaxSimReranker> {
    const { modelOptions, ...rest } = options;
    return new this({ ...rest, encoder: await ColBERT.fromPretrained(modelIdOrDir, modelOptions) });
  }

  /**
   * Scores `nodes` against `query` with MaxSim and returns the best `topN`, best first.
   *
   * @throws MaxsimError `INVALID_INPUT` without a query; from core, `INVALID_OPTION` for a bad `topN`
   */
  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (query === undefined) {
      throw new MaxsimError("INVALID_INPUT", "MaxSimReranker.postprocessNodes needs the query. Pass it as the second argument (query engines and chat engines do).");
    }
    if (nodes.length === 0) return [];
    const texts = nodes.map((n) => n.node.getContent(this.metadataMode));
    const ranked = await rerank(this.encoder, extractText(query), texts, { topN: this.topN });
    return ranked.map(({ index, score }) => ({ node: nodes[index]!.node, score }));
  }
}
