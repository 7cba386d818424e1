/**
 * Writes a random LFM2-ColBERT checkpoint in exactly the hub layout of
 * `LiquidAI/LFM2-ColBERT-350M` (or, with `variant: "bidirectional"`, of
 * `LiquidAI/LFM2.5-ColBERT-350M`): `config.json` (model_type lfm2, conv + attention
 * `layer_types`), bf16 `model.safetensors` with the transformers tensor names,
 * `config_sentence_transformers.json`, `modules.json`, `sentence_bert_config.json`,
 * `1_Dense/{config.json,model.safetensors}` and an LFM2-style byte-level BPE tokenizer.
 *
 * Two presets: `tiny` (hidden 64, five layers, for tests) and `full` (the real 350M shapes:
 * hidden 1024, 16 layers = 10 conv + 6 attention, vocab 65,536, FFN 6656 → 4608, Dense
 * 1024→128, for benchmarks; ~700 MB, generated on demand and never committed).
 *
 * Usage: `tsx --conditions=@maxsim/source scripts/make-lfm2-checkpoint.ts <dir> [tiny|full] [causal|bidirectional]`
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Prng } from "../src/fixtures/prng.js";
import { PYTHON_PUNCTUATION, writeByteLevelBpeTokenizer } from "../src/fixtures/tokenizers.js";
import { encodeSafetensors, type SafetensorsWriteEntry } from "../src/model/lfm2/safetensors-writer.js";

/** Options for {@link makeLfm2Checkpoint}. */
export interface MakeLfm2CheckpointOptions {
  /** @defaultValue "tiny" */
  preset?: "tiny" | "full";
  /** @defaultValue "causal" */
  variant?: "causal" | "bidirectional";
  /** @defaultValue "lfm2-colbert" */
  seed?: string;
  /** Prefix on backbone tensor names (the hub files use none; `"model."` tests the alias). @defaultValue "" */
  tensorPrefix?: string;
  /** Extra config.json fields (e.g. to test refusals). */
  configOverrides?: Record<string, unknown>;
}

/** The tiny checkpoint's vocabulary words (each one token, bare and with a leading space). */
export const LFM2_TINY_WORDS = [
  "the",
  "cat",
  "dog",
  "sat",
  "on",
  "mat",
  "paris",
  "is",
  "capital",
  "of",
  "france",
  "berlin",
  "germany",
  "what",
  "where",
  "who",
  "a",
  "an",
  "and",
  "in",
  "river",
  "city",
  "late",
  "interaction",
  "retrieval",
  "model",
];

/** The real LFM2-350M schedule: attention at layers 2, 5, 8, 10, 12, 14. */
export const LFM2_350M_LAYER_TYPES = Array.from({ length: 16 }, (_, i) => ([2, 5, 8, 10, 12, 14].includes(i) ? "full_attention" : "conv"));

/** What {@link makeLfm2Checkpoint} wrote. */
export interface Lfm2CheckpointInfo {
  dir: string;
  vocabSize: number;
  /** Tokenizer ids: pad, bos, eos (the expansion token) and the `[Q] ` / `[D] ` prefixes. */
  ids: { pad: number; bos: number; eos: number; queryPrefix: number; documentPrefix: number };
  config: Record<string, unknown>;
}

/**
 * Writes a random LFM2-ColBERT checkpoint to `dir`. Deterministic for a given seed.
 *
 * @example
 * ```ts
 * import { makeLfm2Checkpoint } from "./make-lfm2-checkpoint.js";
 * const info = await makeLfm2Checkpoint("lfm2-tiny-example", { variant: "bidirectional" });
 * console.log(info.config.model_type, info.config.architectures, info.ids.eos); // lfm2 ["Lfm2BidirectionalModel"] 7
 * ```
 */
export async function makeLfm2Checkpoint(dir: string, options: MakeLfm2CheckpointOptions = {}): Promise<Lfm2CheckpointInfo> {
  const preset = options.preset ?? "tiny";
  const variant = options.variant ?? "causal";
  const rng = new Prng(`${options.seed ?? "lfm2-colbert"}:${preset}:${variant}`);
  await mkdir(join(dir, "1_Dense"), { recursive: true });
  const tok = await writeByteLevelBpeTokenizer(dir, { words: LFM2_TINY_WORDS });

  const full = preset === "full";
  const H = full ? 1024 : 64;
  const heads = full ? 16 : 4;
  const kvHeads = full ? 8 : 2;
  const blockFf = full ? 6656 : 200; // tiny: int(2·200/3) = 133 → rounded up to 32 → 160
  const multipleOf = full ? 256 : 32;
  const layerTypes = full ? LFM2_350M_LAYER_TYPES : ["conv", "full_attention", "conv", "conv", "full_attention"];
  const vocab = full ? 65536 : tok.vocabSize;
  const L = 3;
  const hd = H / heads;
  let ff = Math.trunc((2 * blockFf) / 3);
  ff = multipleOf * Math.ceil(ff / multipleOf);
  const dim = 128;

  const config: Record<string, unknown> = {
    architectures: [variant === "causal" ? "Lfm2Model" : "Lfm2BidirectionalModel"],
    ...(variant === "bidirectional" ? { auto_map: { AutoModel: "modeling_lfm2_bidirectional.Lfm2BidirectionalModel" } } : {}),
    block_auto_adjust_ff_dim: true,
    block_dim: H,
    block_ff_dim: blockFf,
    block_ffn_dim_multiplier: 1.0,
    block_mlp_init_scale: 1.0,
    block_multiple_of: multipleOf,
    block_norm_eps: 1e-5,
    block_out_init_scale: 1.0,
    block_use_swiglu: true,
    block_use_xavier_init: true,
    bos_token_id: tok.special.bos,
    conv_L_cache: L,
    conv_bias: false,
    conv_dim: H,
    conv_dim_out: H,
    conv_use_xavier_init: true,
    eos_token_id: tok.special.eos,
    hidden_size: H,
    initializer_range: 0.02,
    intermediate_size: blockFf,
    layer_types: layerTypes,
    max_position_embeddings: 128000,
    model_type: "lfm2",
    norm_eps: 1e-5,
    num_attention_heads: heads,
    num_heads: heads,
    num_hidden_layers: layerTypes.length,
    num_key_value_heads: kvHeads,
    pad_token_id: tok.special.pad,
    rope_theta: 1000000.0,
    torch_dtype: "bfloat16",
    transformers_version: "4.57.1",
    use_cache: true,
    use_pos_enc: true,
    vocab_size: vocab,
    ...options.configOverrides,
  };

  // Weights: unit-scale embeddings, 1/sqrt(fan_in) projections, norms near 1, so every layer
  // moves the hidden state visibly (a wrong op cannot hide behind a residual).
  const pre = options.tensorPrefix ?? "";
  const tensors: SafetensorsWriteEntry[] = [];
  const normal = (shape: number[], std: number, mean = 0): Float32Array => {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + rng.normal() * std;
    return out;
  };
  const add = (name: string, shape: number[], std: number, mean = 0) =>
    tensors.push({ name: pre + name, dtype: "BF16", shape, data: normal(shape, std, mean) });
  add("embed_tokens.weight", [vocab, H], 1);
  layerTypes.forEach((kind, i) => {
    const p = `layers.${i}`;
    if (kind === "conv") {
      add(`${p}.conv.conv.weight`, [H, 1, L], 0.6);
      add(`${p}.conv.in_proj.weight`, [3 * H, H], 1 / Math.sqrt(H));
      add(`${p}.conv.out_proj.weight`, [H, H], 1 / Math.sqrt(H));
    } else {
      add(`${p}.self_attn.q_proj.weight`, [heads * hd, H], 1 / Math.sqrt(H));
      add(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, H], 1 / Math.sqrt(H));
      add(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, H], 1 / Math.sqrt(H));
      add(`${p}.self_attn.out_proj.weight`, [H, heads * hd], 1 / Math.sqrt(heads * hd));
      add(`${p}.self_attn.q_layernorm.weight`, [hd], 0.2, 1);
      add(`${p}.self_attn.k_layernorm.weight`, [hd], 0.2, 1);
    }
    add(`${p}.feed_forward.w1.weight`, [ff, H], 1 / Math.sqrt(H));
    add(`${p}.feed_forward.w3.weight`, [ff, H], 1 / Math.sqrt(H));
    add(`${p}.feed_forward.w2.weight`, [H, ff], 1 / Math.sqrt(ff));
    add(`${p}.operator_norm.weight`, [H], 0.2, 1);
    add(`${p}.ffn_norm.weight`, [H], 0.2, 1);
  });
  add("embedding_norm.weight", [H], 0.2, 1);
  await writeFile(join(dir, "model.safetensors"), encodeSafetensors(tensors));
  tensors.length = 0;

  const dense = encodeSafetensors([{ name: "linear.weight", dtype: "BF16", shape: [dim, H], data: normal([dim, H], 1 / Math.sqrt(H)) }]);
  await writeFile(join(dir, "1_Dense", "model.safetensors"), dense);
  const json = (name: string, value: unknown) => writeFile(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  await json("config.json", config);
  await json("1_Dense/config.json", {
    in_features: H,
    out_features: dim,
    bias: false,
    activation_function: "torch.nn.modules.linear.Identity",
    use_residual: false,
  });
  await json("modules.json", [
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Dense", type: "pylate.models.Dense.Dense" },
  ]);
  await json("sentence_bert_config.json", { max_seq_length: 511, do_lower_case: false });
  await json("config_sentence_transformers.json", {
    __version__: { sentence_transformers: "5.1.1", transformers: "4.57.1", pytorch: "2.8.0", pylate: "1.3.4" },
    prompts: { query: "", document: "" },
    default_prompt_name: null,
    similarity_fn_name: "MaxSim",
    query_prefix: "[Q] ",
    document_prefix: "[D] ",
    query_length: 32,
    document_length: 512,
    attend_to_expansion_tokens: false,
    skiplist_words: [...PYTHON_PUNCTUATION],
    do_query_expansion: true,
  });
  return {
    dir,
    vocabSize: vocab,
    ids: { pad: tok.special.pad, bos: tok.special.bos ?? 1, eos: tok.special.eos ?? 7, queryPrefix: tok.prefixIds[0]!, documentPrefix: tok.prefixIds[1]! },
    config,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [dir, preset = "tiny", variant = "causal"] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: make-lfm2-checkpoint.ts <dir> [tiny|full] [causal|bidirectional]");
    process.exit(2);
  }
  const t0 = Date.now();
  const info = await makeLfm2Checkpoint(dir, { preset: preset as "tiny" | "full", variant: variant as "causal" | "bidirectional" });
  console.log(`wrote ${preset} ${variant} LFM2-ColBERT checkpoint to ${info.dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
