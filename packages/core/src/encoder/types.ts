/** The encoder contract that Collection, rerank and eval depend on (see ARCHITECTURE.md). */
import type { ColbertConfig } from "../model/types.js";
import type { EncodeAs, TokenEmbeddings } from "../types.js";

/** Options of one encode call. */
export interface EncodeOptions {
  /** Texts per ONNX run. @defaultValue the encoder's `batchSize` (32) */
  batchSize?: number;
  /** Called after each batch with the number of texts done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between batches with a `MaxsimError` of code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Documents only: PyLate's hierarchical token pooling (see `poolTokens`), about one vector per
   * `poolFactor` tokens; pooled rows are cluster means (not re-normalised). A query call with a
   * factor above 1 throws `INVALID_OPTION`. @defaultValue 1 (no pooling)
   */
  poolFactor?: number;
  /** Leading document rows never pooled. @defaultValue 1 */
  protectedTokens?: number;
}

/** Options of {@link ColBERT.fromPretrained}. */
export interface ColBERTOptions {
  /** Texts per ONNX run. @defaultValue 32 */
  batchSize?: number;
  /** onnxruntime intra-op threads. @defaultValue onnxruntime's default (one per core) */
  intraOpThreads?: number;
  /**
   * Use `model_int8.onnx` when the model has one; for an LFM2 checkpoint, build its int8 graph
   * (FFN int8, see the README's int8 section for speed and fidelity). @defaultValue false
   */
  int8?: boolean;
  /** Override the configured query length (tokens, prefix and specials included). */
  queryLength?: number;
  /** Override the configured maximum document length. */
  documentLength?: number;
  /**
   * Hub cache directory (built LFM2 graphs go under it too).
   * @defaultValue transformers.js `env.cacheDir` when the application set it, else `$MAXSIM_CACHE_DIR/hub` or `~/.cache/maxsim/hub`
   */
  cacheDir?: string;
  /** Hub revision (branch, tag or commit). @defaultValue "main" */
  revision?: string;
  /** Use cached hub files only. @defaultValue false */
  localFilesOnly?: boolean;
  /** Hub access token. @defaultValue `process.env.HF_TOKEN` */
  token?: string;
  /** Download and build messages. */
  onProgress?: (message: string) => void;
}

/** The resolved model configuration, JSON-serialisable (what `maxsim info` prints). */
export interface ModelInfo
  extends Pick<
    ColbertConfig,
    | "queryPrefix"
    | "documentPrefix"
    | "queryPrefixId"
    | "documentPrefixId"
    | "queryLength"
    | "documentLength"
    | "doQueryExpansion"
    | "attendToExpansionTokens"
    | "doLowerCase"
    | "skiplistWords"
  > {
  modelId: string;
  /** Directory the model files were read from. */
  dir: string;
  layout: string;
  /** ONNX file in use (or `"<in-memory>"`). */
  onnx: string;
  /** Id that pads queries under expansion (mask, else EOS, else pad token) and pads batches. */
  expansionTokenId: number;
  expansionToken: string | null;
  paddingSide: "left" | "right";
  skiplistIds: number[];
  dim: number;
  /** Inputs the ONNX session declares (and that are fed). */
  inputs: string[];
  outputs: string[];
  /** Dense projections applied after the ONNX model (sentence-transformers layout). */
  dense: { inFeatures: number; outFeatures: number; bias: boolean }[];
}

/** Anything that turns texts into per-token vectors the way a ColBERT model does. */
export interface Encoder {
  /** Hub id or resolved directory. */
  readonly modelId: string;
  /** Vector size. */
  readonly dim: number;
  /** Resolved configuration. */
  readonly info: ModelInfo;
  encodeQueries(texts: string[], opts?: EncodeOptions): Promise<TokenEmbeddings[]>;
  encodeDocuments(texts: string[], opts?: EncodeOptions): Promise<TokenEmbeddings[]>;
  /** A readable token per id (for explanations and highlights). */
  tokenStrings(ids: Int32Array): string[];
  /**
   * Content token ids of `text` as a document is tokenised, without special tokens, prefix or
   * truncation (for token-counted chunking; no model run).
   */
  tokenize(text: string): Int32Array;
  /** The `tokenIds` that encoding `text` as `as` returns, from the tokenizer alone (no model run). */
  outputTokenIds(text: string, as: EncodeAs): Int32Array;
}

export type { EncodeAs, TokenEmbeddings };
