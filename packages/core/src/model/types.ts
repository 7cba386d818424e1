/**
 * Types shared by the model layouts, the hub loader and the encoder: the resolved ColBERT
 * configuration (PyLate's `onnx_config.json` / `config_sentence_transformers.json` fields in one
 * shape) and what a layout hands the encoder once it has loaded a directory.
 */

/** The resolved ColBERT configuration: every PyLate tokenisation rule the encoder applies. */
export interface ColbertConfig {
  /** Prefix text prepended to queries (e.g. `"[Q] "`); empty string = no prefix. */
  queryPrefix: string;
  /** Prefix text prepended to documents (e.g. `"[D] "`); empty string = no prefix. */
  documentPrefix: string;
  /** Token id inserted at position 1 of every query, or `null` when there is no query prefix. */
  queryPrefixId: number | null;
  /** Token id inserted at position 1 of every document, or `null` when there is no document prefix. */
  documentPrefixId: number | null;
  /** Query length in tokens, prefix and special tokens included (PyLate `query_length`). */
  queryLength: number;
  /** Maximum document length in tokens, prefix and special tokens included. */
  documentLength: number;
  /** Pad queries to `queryLength` with the expansion token (PyLate `do_query_expansion`). */
  doQueryExpansion: boolean;
  /** Expansion positions get attention 1 (PyLate `attend_to_expansion_tokens`). */
  attendToExpansionTokens: boolean;
  /** Words whose token ids are dropped from document outputs (default: Python `string.punctuation`). */
  skiplistWords: string[];
  /** Output vector size. */
  embeddingDim: number;
  /** The tokenizer's mask token id, when it has one. */
  maskTokenId: number | null;
  /** The tokenizer's pad token id, when it has one. */
  padTokenId: number | null;
  /** Whether the model takes `token_type_ids` (informational: the session's declared inputs decide). */
  usesTokenTypeIds: boolean;
  /** Lower-case texts before tokenising. */
  doLowerCase: boolean;
}

/** A linear projection applied to every token's hidden state (sentence-transformers `Dense`). */
export interface DenseProjection {
  /** Row-major `[outFeatures, inFeatures]` weight (torch `nn.Linear` layout). */
  weight: Float32Array;
  /** Optional `[outFeatures]` bias. */
  bias: Float32Array | null;
  inFeatures: number;
  outFeatures: number;
  /** Activation after the projection: only identity is supported (PyLate's heads use it). */
  activation: "identity";
  /**
   * PyLate `Dense(use_residual=True)`: add the input (`"identity"`, when in = out) or a bias-free
   * projection of it (row-major `[outFeatures, inFeatures]`) to the output. Absent = no residual.
   */
  residual?: "identity" | Float32Array;
}

/** What a layout hands the encoder after loading a model directory. */
export interface LoadedModel {
  /** Layout name, e.g. `"pylate-onnx"`. */
  layout: string;
  /** The ONNX model as a file path (external data next to it is found by onnxruntime) or bytes. */
  onnx: string | Uint8Array;
  /** Resolved configuration. */
  config: ColbertConfig;
  /** Directory holding `tokenizer.json` and `tokenizer_config.json`. */
  tokenizerDir: string;
  /**
   * Projections the encoder applies, in order, to the model's first output before L2
   * normalisation. Empty when the ONNX output already has `embeddingDim` columns.
   */
  dense: DenseProjection[];
}

/** Options a layout's `load` receives. */
export interface LayoutLoadOptions {
  /** Prefer the int8 model (`model_int8.onnx`) when the layout has one. */
  int8?: boolean;
  /** Progress messages (building a graph, reading weights). */
  onProgress?: (message: string) => void;
  /** Directory for derived artefacts (e.g. an ONNX graph built from a checkpoint). */
  cacheDir?: string;
}

/**
 * Which hub files a layout needs. The hub loader first fetches every layout's `markers` it can,
 * lets `detect` pick the layout on the partial snapshot, then fetches `required` and `optional`.
 */
export interface HubFiles {
  /** Files whose presence identifies the layout (fetched first, missing ones tolerated). */
  markers: string[];
  /** Files that must download; each inner array lists alternatives (the first present wins). */
  required: string[][];
  /** Files fetched when present (e.g. `model_int8.onnx`, external data). */
  optional: string[];
  /**
   * Extra files named by already-downloaded ones (e.g. `modules.json` → `1_Dense/…`), resolved
   * after `markers` are on disk.
   */
  discover?: (dir: string) => Promise<string[]>;
}

/** One model layout: how to recognise a directory and turn it into a {@link LoadedModel}. */
export interface ModelLayout {
  name: string;
  /** True when `dir` is in this layout (reads only small files). */
  detect(dir: string): Promise<boolean>;
  /** Loads the model; throws `MaxsimError` (`CONFIG_MISSING`, `CONFIG_INVALID`, …) on bad files. */
  load(dir: string, options: LayoutLoadOptions): Promise<LoadedModel>;
  hubFiles: HubFiles;
}
