/**
 * LFM2 `config.json` parsing, following transformers' `Lfm2Config` (`configuration_lfm2.py`)
 * field by field: `block_ff_dim` overrides `intermediate_size`, `layer_types` wins over
 * `full_attn_idxs` (and every layer is attention when neither is given), `rope_theta` (or the
 * legacy `theta`, or `rope_parameters.rope_theta`) defaults to 1e6, `head_dim` defaults to
 * `hidden_size / num_attention_heads`, and the feed-forward width is derived exactly as
 * `Lfm2MLP.__init__` derives it.
 *
 * LFM2.5's bidirectional model shares these fields. It is selected by `model_type:
 * "lfm2_bidirectional"` (transformers' native `models/lfm2_bidirectional`, RoPE in
 * `rope_parameters`) or, for checkpoints with custom code on the hub, by an `architectures` entry
 * spelled `Lfm2Bidirectional…`. Anything this graph does not implement (rope scaling, another
 * layer kind, a mixture-of-experts model type) is refused with `UNSUPPORTED_MODEL` naming the
 * field, never silently approximated.
 */
import { MaxsimError } from "../../errors.js";

/** The `config.json` model types the LFM2 graph builder implements. */
export const LFM2_MODEL_TYPES: readonly string[] = ["lfm2", "lfm2_bidirectional"];

/** Which LFM2 variant a checkpoint is. */
export type Lfm2Variant = "causal" | "bidirectional";

/** The layer kinds an LFM2 stack mixes. */
export type Lfm2LayerType = "conv" | "full_attention";

/** Every shape and constant the LFM2 graph needs, resolved from `config.json`. */
export interface Lfm2Config {
  variant: Lfm2Variant;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  /** Feed-forward width after `block_auto_adjust_ff_dim` (4608 for the 350M models). */
  ffnDim: number;
  normEps: number;
  /** Short-convolution kernel size (`conv_L_cache`). */
  convLCache: number;
  convBias: boolean;
  ropeTheta: number;
  layerTypes: Lfm2LayerType[];
  /** `pad_token_id`, or null when the config has none. */
  padTokenId: number | null;
}

type Json = Record<string, unknown>;

function num(config: Json, key: string, fallback: number): number {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `LFM2 config.json field "${key}" must be a number, got ${JSON.stringify(v)}. Fix the file or re-download the model.`,
    );
  }
  return v;
}

function int(config: Json, key: string, fallback: number): number {
  const v = num(config, key, fallback);
  if (!Number.isInteger(v) || v <= 0) {
    throw new MaxsimError("CONFIG_INVALID", `LFM2 config.json field "${key}" must be a positive integer, got ${v}. Fix the file or re-download the model.`);
  }
  return v;
}

function bool(config: Json, key: string, fallback: boolean): boolean {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `LFM2 config.json field "${key}" must be a boolean, got ${JSON.stringify(v)}. Fix the file or re-download the model.`,
    );
  }
  return v;
}

function unsupported(field: string, value: unknown, why: string): MaxsimError {
  return new MaxsimError(
    "UNSUPPORTED_MODEL",
    `LFM2 config.json field "${field}" = ${JSON.stringify(value)} is not supported by maxsim's LFM2 graph builder (${why}). Use a LiquidAI LFM2-ColBERT / LFM2.5-ColBERT checkpoint, or export the model to ONNX with PyLate and load that directory instead.`,
  );
}

/**
 * The feed-forward width exactly as transformers' `Lfm2MLP` computes it (Python `int()` truncates
 * toward zero; the round-up to `block_multiple_of` only happens when a multiplier is set).
 *
 * @example
 * ```ts
 * import { lfm2FfnDim } from "./config.js";
 * console.log(lfm2FfnDim(6656, true, 1.0, 256), lfm2FfnDim(6656, true, null, 256)); // 4608 4437
 * ```
 */
export function lfm2FfnDim(intermediateSize: number, autoAdjust: boolean, multiplier: number | null, multipleOf: number): number {
  let size = intermediateSize;
  if (autoAdjust) {
    size = Math.trunc((2 * size) / 3);
    if (multiplier !== null) {
      size = Math.trunc(multiplier * size);
      size = multipleOf * Math.floor((size + multipleOf - 1) / multipleOf);
    }
  }
  return size;
}

/**
 * Parses an LFM2 `config.json` object.
 *
 * @throws `UNSUPPORTED_MODEL` for fields the graph does not implement; `CONFIG_INVALID` for malformed values.
 * @example
 * ```ts
 * import { parseLfm2Config } from "./config.js";
 * const cfg = parseLfm2Config({ model_type: "lfm2", hidden_size: 1024, num_hidden_layers: 16, num_attention_heads: 16,
 *   num_key_value_heads: 8, block_ff_dim: 6656, full_attn_idxs: [2, 5, 8, 10, 12, 14] });
 * console.log(cfg.ffnDim, cfg.headDim, cfg.layerTypes.filter((t) => t === "conv").length); // 4608 64 10
 * ```
 */
export function parseLfm2Config(raw: unknown): Lfm2Config {
  if (typeof raw !== "object" || raw === null) {
    throw new MaxsimError("CONFIG_INVALID", "LFM2 config.json is not a JSON object. Re-download the model.");
  }
  const config = raw as Json;
  if (typeof config.model_type !== "string" || !LFM2_MODEL_TYPES.includes(config.model_type)) {
    throw unsupported("model_type", config.model_type, 'only "lfm2" and "lfm2_bidirectional" are implemented (not lfm2_moe, lfm2_vl, …)');
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  // transformers' native spelling is model_type lfm2_bidirectional; hub checkpoints with custom
  // code say model_type lfm2 and an architectures entry Lfm2Bidirectional… (the name drifts
  // between releases, so match the stem). Anything else is the causal Lfm2Model.
  const variant: Lfm2Variant = config.model_type === "lfm2_bidirectional" || architectures.some((a) => /bidir/i.test(a)) ? "bidirectional" : "causal";

  const hiddenSize = int(config, "hidden_size", 2560);
  const numHiddenLayers = int(config, "num_hidden_layers", 32);
  const numAttentionHeads = int(config, "num_attention_heads", 32);
  const numKeyValueHeads = int(config, "num_key_value_heads", 8);
  const headDim = int(config, "head_dim", Math.floor(hiddenSize / numAttentionHeads));
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `LFM2 config.json: num_attention_heads (${numAttentionHeads}) is not a multiple of num_key_value_heads (${numKeyValueHeads}). Fix the file.`,
    );
  }
  if (headDim % 2 !== 0) throw unsupported("head_dim", headDim, "rotary embeddings need an even head size");

  const intermediate = int(config, "block_ff_dim", int(config, "intermediate_size", 12288));
  const multiplierRaw = config.block_ffn_dim_multiplier;
  const multiplier = multiplierRaw === undefined ? 1.0 : multiplierRaw === null ? null : num(config, "block_ffn_dim_multiplier", 1.0);
  const ffnDim = lfm2FfnDim(intermediate, bool(config, "block_auto_adjust_ff_dim", true), multiplier, int(config, "block_multiple_of", 256));

  let layerTypes: Lfm2LayerType[];
  if (Array.isArray(config.layer_types)) {
    layerTypes = config.layer_types.map((t, i) => {
      if (t === "conv" || t === "full_attention") return t;
      throw unsupported(`layer_types[${i}]`, t, 'only "conv" and "full_attention" layers are implemented');
    });
  } else {
    const idxs = Array.isArray(config.full_attn_idxs) ? config.full_attn_idxs.map(Number) : null;
    layerTypes = Array.from({ length: numHiddenLayers }, (_, i) => (idxs === null || idxs.includes(i) ? "full_attention" : "conv"));
  }
  if (layerTypes.length !== numHiddenLayers) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `LFM2 config.json: layer_types has ${layerTypes.length} entries but num_hidden_layers is ${numHiddenLayers}. Fix the file.`,
    );
  }

  // RoPE: only the default (unscaled) rotary embedding is implemented.
  let ropeTheta = num(config, "rope_theta", num(config, "theta", 1_000_000));
  const scaling = config.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    const type = typeof scaling === "object" ? ((scaling as Json).rope_type ?? (scaling as Json).type) : scaling;
    if (type !== "default") throw unsupported("rope_scaling", scaling, "only unscaled RoPE is implemented");
  }
  const params = config.rope_parameters;
  if (params !== undefined && params !== null) {
    if (typeof params !== "object") throw unsupported("rope_parameters", params, "expected an object");
    const p = params as Json;
    // transformers may nest parameters per layer type ({ full_attention: {...}, conv: null }).
    const flat = (typeof p.full_attention === "object" && p.full_attention !== null ? p.full_attention : p) as Json;
    const type = flat.rope_type ?? "default";
    if (type !== "default") throw unsupported("rope_parameters.rope_type", type, "only unscaled RoPE is implemented");
    if (typeof flat.rope_theta === "number") ropeTheta = flat.rope_theta;
  }
  for (const field of ["sliding_window", "attention_bias", "mlp_bias"]) {
    const v = config[field];
    if (v !== undefined && v !== null && v !== false) throw unsupported(field, v, "LFM2 attention and MLP have no such option");
  }

  const pad = config.pad_token_id;
  return {
    variant,
    vocabSize: int(config, "vocab_size", 65536),
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    ffnDim,
    normEps: num(config, "norm_eps", num(config, "block_norm_eps", 1e-5)),
    convLCache: int(config, "conv_L_cache", 3),
    convBias: bool(config, "conv_bias", false),
    ropeTheta,
    layerTypes,
    padTokenId: typeof pad === "number" ? pad : null,
  };
}
