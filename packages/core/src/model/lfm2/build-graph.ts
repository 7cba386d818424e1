/**
 * Builds the ONNX graph of an LFM2 ColBERT model (backbone + PyLate Dense head + L2 norm) from
 * its checkpoint weights, with {@link GraphBuilder}. Every operation follows transformers'
 * `modeling_lfm2.py` (causal `Lfm2Model`) or, for LFM2.5, LiquidAI's `Lfm2BidirectionalModel`
 * (read in a public MLX Swift port of its custom code):
 *
 * - `h = embed_tokens[input_ids]`; per layer `h += op(operator_norm(h))`, then
 *   `h += w2(silu(w1 x) * w3 x)` with `x = ffn_norm(h)`; `embedding_norm`; Dense; L2 normalise.
 * - RMSNorm: `w * x / sqrt(mean(x²) + eps)` (no `1 + w` offset).
 * - Short conv: `in_proj` → channels `[B | C | x]`; `B*x` → depthwise conv1d of kernel
 *   `conv_L_cache` → `C *` → `out_proj`. Causal: left padding `L−1`. Bidirectional: centred,
 *   `L//2` zeros on each side (the port's `padding = kernel/2`, first S outputs kept).
 * - Attention: q/k/v, per-head RMSNorm on q and k, RoPE (rotate-half, `rope_theta`, positions
 *   0…S−1), grouped-query attention (head `h` reads kv head `h / (heads / kv_heads)`), scale
 *   `head_dim^-0.5`, causal + key-padding mask (bidirectional: key-padding only), `out_proj`.
 *
 * Masked positions in the short conv, per variant:
 * - Causal LFM2: as transformers' `apply_mask_to_padding_states` does for every batch of more
 *   than one text (how PyLate encodes and how the model was trained), the conv block's *input*
 *   is multiplied by the attention mask, so attention-0 positions (right padding, and query
 *   expansion tokens PyLate does not attend to) feed zeros to in_proj. Real positions never
 *   depend on it (causal), and the expansion rows now equal PyLate's batched query vectors
 *   whatever the batch size (transformers skips the zeroing for a single text).
 * - LFM2.5 (bidirectional): the custom code runs the conv over the whole stream, expansion
 *   tokens included (the MLX port notes that zeroing them hurts). Only *padding* positions
 *   (attention 0 and the tokenizer's pad id) have their conv input `B·x` zeroed, so a padded
 *   document equals the document encoded alone (its centred conv sees zeros past the end).
 *
 * Weight matrices are stored transposed (`[in, out]`) for `MatMul`; q/k/v and w1/w3 are fused
 * into one `MatMul` each (same numbers, fewer kernel launches).
 */
import { MaxsimError } from "../../errors.js";
import { DataType, GraphBuilder, bytesOf, floatTensor, int64Tensor, type TensorInit } from "../../onnx/graph-builder.js";
import { toFloat16 } from "../../storage/codecs/float16.js";
import type { Lfm2Config } from "./config.js";
import { quantizeMatMulNBits, quantizePerColumn } from "./quantize.js";

/** A float32 tensor read from a checkpoint. */
export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}

/** Where the builder reads checkpoint tensors (names without any `model.` prefix). */
export interface Lfm2WeightSource {
  read(name: string): Promise<FloatTensor>;
  has(name: string): boolean;
}

/** The PyLate Dense head (`1_Dense/`): `[out, in]` weight, optional bias. */
export interface Lfm2DenseHead {
  weight: Float32Array;
  bias: Float32Array | null;
  inFeatures: number;
  outFeatures: number;
}

/** Options for {@link buildLfm2Graph}. */
export interface Lfm2GraphOptions {
  /**
   * Token id of padding. For LFM2.5 (bidirectional), attention-0 positions holding it are
   * padding and feed zeros to the conv; other attention-0 positions (query expansion) are input.
   * `null` = every attention-0 position is padding. Unused by the causal model, which zeroes
   * every attention-0 position as transformers does.
   */
  padTokenId: number | null;
  /** Quantise the large MatMul weights to 8 bits (kernels per layer kind: `int8Kernels`). @defaultValue false */
  int8?: boolean;
  /**
   * The int8 kernel of each MatMul kind (see {@link Lfm2Int8Kernel}); kinds not listed use
   * {@link LFM2_INT8_KERNELS}. @defaultValue LFM2_INT8_KERNELS
   */
  int8Kernels?: Partial<Record<Lfm2MatMulKind, Lfm2Int8Kernel>>;
  /**
   * Quantise the weights of the `"tensor"` and `"token"` kernels to 7 bits (codes ±63) instead of
   * 8. MLAS's u8 × s8 kernel on AVX2 (no VNNI) multiplies with `vpmaddubsw`, whose int16 sums of
   * two u8·s8 products saturate once both exceed ~±16k (255 · 127 · 2 > 32767): with 8-bit
   * weights the tiny test model's worst per-token cosine fell to 0.77. 7-bit weights cannot
   * saturate (255 · 63 · 2 < 32767); onnxruntime's quantiser calls this `reduce_range`.
   * @defaultValue true
   */
  int8ReduceRange?: boolean;
  /**
   * Block size of the `"nbits"` kernel; a weight whose input width it does not divide uses the
   * largest of 64, 32, 16 below it that does (else stays f32). @defaultValue 32
   */
  int8BlockSize?: number;
  /**
   * Storage type of the large f32 weights (MatMul matrices, embedding table). `"float16"` halves
   * the file and casts back to f32 inside the graph (onnxruntime folds the casts at load); exact
   * for bf16 weights of magnitude ≥ 2^-14. @defaultValue "float32"
   */
  weightDtype?: "float32" | "float16";
  /**
   * Fuse each residual add with the next RMSNorm into `com.microsoft`
   * SkipSimplifiedLayerNormalization (onnxruntime already fuses the Pow…Mul RMSNorm into
   * SimplifiedLayerNormalization, x·sigmoid(x) into QuickGelu and the scaled QKᵀ into
   * FusedMatMul by itself). Measured on the full-size checkpoint, 300 tokens, 1 thread, best of
   * 4: 1777 ms vs 1785 ms (0.4%, noise), so plain ops stay the default. @defaultValue false
   */
  skipNorm?: boolean;
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

/** The large MatMuls of LFM2-ColBERT, by what they compute. */
export type Lfm2MatMulKind = "convIn" | "convOut" | "attnQkv" | "attnOut" | "ffnUp" | "ffnDown" | "dense";

/**
 * How one int8 MatMul runs (onnxruntime CPU; weights are always quantised ahead, symmetric, one
 * scale per output column unless noted):
 * - `"float"`: stays a float32 MatMul.
 * - `"tensor"`: `com.microsoft` DynamicQuantizeMatMul: activations quantised to u8 with ONE scale
 *   for the whole batch at run time. Fastest, but a text's vectors then depend on its batch-mates
 *   (the scale follows the batch's largest activation).
 * - `"token"`: one u8 scale per row (token), QuantizeLinear(axis 0) → MatMulInteger (u8 × s8,
 *   MLAS's fast path) → scales: about half the activation error of `"tensor"`, batch-independent.
 * - `"token-u8"`: `"token"` with 8-bit weights stored as u8 + 128 (zero point 128 per column),
 *   which runs MLAS's u8 × u8 kernel: it widens to 16 bits before multiplying, so it cannot
 *   saturate and needs no `int8ReduceRange`, at some speed cost.
 * - `"nbits"`: `com.microsoft` MatMulNBits, 8-bit weight blocks of `int8BlockSize` and int8
 *   activations per block (accuracy_level 4): the most exact, but slower than float32 on a CPU
 *   without VNNI (measured by `bench/int8-kernels.ts`).
 */
export type Lfm2Int8Kernel = "float" | "tensor" | "token" | "token-u8" | "nbits";

/**
 * The default int8 kernel per MatMul kind, picked by measurement on this project's 2-core AMD
 * EPYC (AVX2, no AVX-512/VNNI), onnxruntime-node 1.30, full-size random LFM2-ColBERT-350M:
 *
 * - Speed per kernel, 600 rows, 1 thread, interleaved with f32 (`bench/int8-kernels.ts`): FFN
 *   shapes `"token"` 1.75–1.82×, `"tensor"` 1.75–1.87×, `"token-u8"` 1.38–1.39×; MatMulNBits
 *   (`"nbits"`) 0.5–0.86×, slower than float32 on this CPU.
 * - Worst / mean per-token cosine to f32, 600 document tokens (`bench/lfm2-int8-fidelity.ts`):
 *   every kind `"token"` 0.966 / 0.982, `"token-u8"` 0.981 / 0.989, `"nbits"` 0.994 / 0.997,
 *   `"tensor"` 0.864 (2236 tokens); FFN only (w1|w3 and w2, 80% of the FLOPs): `"token"`
 *   0.9906 / 0.9960, `"token-u8"` 0.9948 / 0.9975; w1|w3 alone `"token-u8"` 0.9983.
 *
 * So the FFN runs int8 per token with 8-bit weights (`"token-u8"`, the margin above 0.99) and
 * the attention and conv projections and the Dense head stay float32: quantising them too moved
 * the worst token below 0.99 with any kernel fast enough to pay here.
 */
export const LFM2_INT8_KERNELS: Readonly<Record<Lfm2MatMulKind, Lfm2Int8Kernel>> = {
  convIn: "float",
  convOut: "float",
  attnQkv: "float",
  attnOut: "float",
  ffnUp: "token-u8",
  ffnDown: "token-u8",
  dense: "float",
};

/** Graph input and output names (what the encoder feeds and reads). */
export const LFM2_GRAPH_IO = { inputIds: "input_ids", attentionMask: "attention_mask", output: "token_embeddings" } as const;

/** Large negative attention bias: finite so fully masked rows never produce NaN. */
const MASK_BIAS = -1e30;

/**
 * Builds the full LFM2-ColBERT graph.
 *
 * @throws `CHECKPOINT_INVALID` when a tensor is missing or has the wrong shape.
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { makeLfm2Checkpoint } from "../../../scripts/make-lfm2-checkpoint.js";
 * import { SafetensorsFile } from "../safetensors.js";
 * import { parseLfm2Config } from "./config.js";
 * import { buildLfm2Graph } from "./build-graph.js";
 * const { dir } = await makeLfm2Checkpoint("lfm2-tiny");
 * const cfg = parseLfm2Config(JSON.parse(await readFile(`${dir}/config.json`, "utf8")));
 * const file = await SafetensorsFile.open(`${dir}/model.safetensors`);
 * const weights = { has: (n: string) => file.info(n) !== undefined, read: async (n: string) => ({ data: await file.read(n), shape: file.info(n)!.shape }) };
 * const dense = { weight: new Float32Array(128 * cfg.hiddenSize).fill(0.01), bias: null, inFeatures: cfg.hiddenSize, outFeatures: 128 };
 * const graph = await buildLfm2Graph(cfg, weights, dense, { padTokenId: 0 });
 * await graph.save("built/model.onnx");
 * await file.close();
 * console.log(cfg.variant, cfg.layerTypes.join(",")); // causal conv,full_attention,conv,conv,full_attention
 * ```
 */
export async function buildLfm2Graph(cfg: Lfm2Config, weights: Lfm2WeightSource, dense: Lfm2DenseHead, options: Lfm2GraphOptions): Promise<GraphBuilder> {
  const g = new GraphBuilder(cfg.variant === "bidirectional" ? "lfm2_bidirectional_colbert" : "lfm2_colbert", 17);
  const H = cfg.hiddenSize;
  const hd = cfg.headDim;
  const nH = cfg.numAttentionHeads;
  const nKV = cfg.numKeyValueHeads;
  const groups = nH / nKV;
  const F = cfg.ffnDim;
  const int8 = options.int8 ?? false;
  const preferredBlock = options.int8BlockSize ?? 32;
  const blockFor = (inF: number): number | null => [preferredBlock, 64, 32, 16].find((b) => b <= preferredBlock && inF % b === 0) ?? null;
  if (int8) g.useDomain("com.microsoft", 1); // DynamicQuantizeMatMul, MatMulNBits
  const progress = options.onProgress ?? (() => {});
  const half = options.weightDtype === "float16";
  const kernels = { ...LFM2_INT8_KERNELS, ...options.int8Kernels };
  /** A large weight initializer, stored as f16 + Cast when `weightDtype` is float16. */
  const weight = (name: string, data: Float32Array, dims: number[]): string => {
    if (!half) return g.initializer(name, floatTensor(data, dims));
    const init: TensorInit = { dataType: DataType.FLOAT16, dims, raw: bytesOf(toFloat16(data)) };
    return g.op("Cast", [g.initializer(`${name}.f16`, init)], { to: DataType.FLOAT });
  };

  let constCount = 0;
  const fconst = (values: number[], dims: number[]): string => g.initializer(`const_f${constCount++}`, floatTensor(new Float32Array(values), dims));
  const iconst = (values: number[], dims: number[] = [values.length]): string => g.initializer(`const_i${constCount++}`, int64Tensor(values, dims));

  async function tensor(name: string, shape: number[]): Promise<Float32Array> {
    const t = await weights.read(name);
    const want = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== want) {
      throw new MaxsimError(
        "CHECKPOINT_INVALID",
        `Tensor "${name}" has shape [${t.shape.join(", ")}] but config.json implies [${shape.join(", ")}]. The checkpoint and its config.json do not match; re-download the model.`,
      );
    }
    return t.data;
  }

  /** `[B, S, 1]` scale helpers of the per-token kernel, shared by every MatMul of the graph. */
  let tokenConsts: { c127: string; tiny: string; zp: string; axes: string } | null = null;

  /** `x @ Wᵀ (+ b)` for torch `Linear` weights given as `[out, in]` blocks (concatenated along out). */
  function linear(
    x: string,
    name: string,
    kind: Lfm2MatMulKind,
    blocks: Float32Array[],
    outs: number[],
    inF: number,
    bias: Float32Array | null = null,
  ): string {
    const outTotal = outs.reduce((a, b) => a + b, 0);
    let y: string;
    const k: Lfm2Int8Kernel = int8 ? kernels[kind] : "float";
    const blockSize = k === "nbits" ? blockFor(inF) : null;
    if (k === "tensor" || k === "token" || k === "token-u8") {
      const u8 = k === "token-u8";
      const q = quantizePerColumn(blocks, outs, inF, !u8 && (options.int8ReduceRange ?? true) ? 63 : 127);
      if (u8) {
        g.initializer(`${name}.qweight_t`, { dataType: DataType.UINT8, dims: [inF, outTotal], raw: Uint8Array.from(q.weight, (v) => v + 128) });
        g.initializer(`${name}.zero_points`, { dataType: DataType.UINT8, dims: [outTotal], raw: new Uint8Array(outTotal).fill(128) });
      } else {
        g.initializer(`${name}.qweight_t`, { dataType: DataType.INT8, dims: [inF, outTotal], raw: bytesOf(q.weight) });
      }
      g.initializer(`${name}.scales`, floatTensor(q.scales, [outTotal]));
      if (k === "tensor") {
        g.initializer(`${name}.zero_points`, { dataType: DataType.INT8, dims: [outTotal], raw: new Uint8Array(outTotal) });
        y = g.op("DynamicQuantizeMatMul", [x, `${name}.qweight_t`, `${name}.scales`, `${name}.zero_points`], {}, "com.microsoft");
      } else {
        tokenConsts ??= {
          c127: fconst([1 / 127], []),
          tiny: fconst([1e-30], []),
          zp: g.initializer("token_quant.zero_point", { dataType: DataType.UINT8, dims: [], raw: Uint8Array.of(128) }),
          axes: iconst([1]),
        };
        const c = tokenConsts;
        // Rows [B·S, K]; one symmetric scale per row, codes centred on 128 (u8 × s8 is MLAS's
        // fast integer path; s8 × s8 ran 4× slower than float32 here).
        const shapeIn = g.op("Shape", [x]);
        const rows = g.op("Reshape", [x, iconst([-1, inF])]);
        const rowScale = g.op("Max", [g.op("Mul", [g.op("ReduceMax", [g.op("Abs", [rows])], { axes: [1], keepdims: 0 }), c.c127]), c.tiny]); // [M]
        const zpRow = g.op("ConstantOfShape", [g.op("Shape", [rowScale])], { value: { dataType: DataType.UINT8, dims: [1], raw: Uint8Array.of(128) } });
        const xq = g.op("QuantizeLinear", [rows, rowScale, zpRow], { axis: 0 });
        const acc = g.op("MatMulInteger", [xq, `${name}.qweight_t`, c.zp, ...(u8 ? [`${name}.zero_points`] : [])]); // [M, N] int32
        const scaled = g.op("Mul", [g.op("Mul", [g.op("Cast", [acc], { to: DataType.FLOAT }), g.op("Unsqueeze", [rowScale, c.axes])]), `${name}.scales`]);
        const outShape = g.op("Concat", [g.op("Slice", [shapeIn, iconst([0]), iconst([-1])]), iconst([outTotal])], { axis: 0 });
        y = g.op("Reshape", [scaled, outShape]);
      }
    } else if (blockSize !== null) {
      // accuracy_level 4: int8 activations per block, int8 dot products (VNNI where present).
      const q = quantizeMatMulNBits(blocks, outs, inF, blockSize);
      g.initializer(`${name}.qweight`, { dataType: DataType.UINT8, dims: [outTotal, inF / blockSize, blockSize], raw: q.weight });
      g.initializer(`${name}.scales`, floatTensor(q.scales, [outTotal * (inF / blockSize)]));
      y = g.op(
        "MatMulNBits",
        [x, `${name}.qweight`, `${name}.scales`],
        { K: inF, N: outTotal, bits: 8, block_size: blockSize, accuracy_level: 4 },
        "com.microsoft",
      );
    } else {
      const wt = new Float32Array(inF * outTotal);
      let col = 0;
      blocks.forEach((w, bi) => {
        const out = outs[bi]!;
        for (let o = 0; o < out; o++) {
          const row = o * inF;
          for (let i = 0; i < inF; i++) wt[i * outTotal + col + o] = w[row + i]!;
        }
        col += out;
      });
      y = g.op("MatMul", [x, weight(`${name}.weight_t`, wt, [inF, outTotal])]);
    }
    if (bias) y = g.op("Add", [y, g.initializer(`${name}.bias`, floatTensor(bias, [outTotal]))]);
    return y;
  }

  const epsName = fconst([cfg.normEps], []);
  const twoName = fconst([2], []);
  /** RMSNorm over the last axis, in the Pow/ReduceMean/Add/Sqrt/Div/Mul form onnxruntime fuses. */
  function rmsNorm(x: string, weightName: string, weight: Float32Array): string {
    const sq = g.op("Pow", [x, twoName]);
    const ms = g.op("ReduceMean", [sq], { axes: [-1], keepdims: 1 });
    const denom = g.op("Sqrt", [g.op("Add", [ms, epsName])]);
    const normed = g.op("Div", [x, denom]);
    return g.op("Mul", [normed, g.initializer(weightName, floatTensor(weight, [weight.length]))]);
  }

  // ---- inputs, embeddings, masks, rotary tables
  g.input(LFM2_GRAPH_IO.inputIds, DataType.INT64, ["batch", "sequence"]);
  g.input(LFM2_GRAPH_IO.attentionMask, DataType.INT64, ["batch", "sequence"]);
  progress("LFM2: embeddings");
  const embed = await tensor("embed_tokens.weight", [cfg.vocabSize, H]);
  let h: string;
  if (half) {
    // Gather the f16 rows, then cast: only the looked-up rows are converted.
    g.initializer("embed_tokens.weight.f16", { dataType: DataType.FLOAT16, dims: [cfg.vocabSize, H], raw: bytesOf(toFloat16(embed)) });
    h = g.op("Cast", [g.op("Gather", ["embed_tokens.weight.f16", LFM2_GRAPH_IO.inputIds], { axis: 0 })], { to: DataType.FLOAT });
  } else {
    g.initializer("embed_tokens.weight", floatTensor(embed, [cfg.vocabSize, H]));
    h = g.op("Gather", ["embed_tokens.weight", LFM2_GRAPH_IO.inputIds], { axis: 0 });
  }

  const maskF = g.op("Cast", [LFM2_GRAPH_IO.attentionMask], { to: DataType.FLOAT });
  // Conv keep-mask [B, S, 1]. Causal: the attention mask. Bidirectional: 0 only at padding
  // (attention 0 and the pad id), so expansion tokens stay input.
  let keepBool = g.op("Cast", [LFM2_GRAPH_IO.attentionMask], { to: DataType.BOOL });
  if (cfg.variant === "bidirectional" && options.padTokenId !== null) {
    const notPad = g.op("Not", [g.op("Equal", [LFM2_GRAPH_IO.inputIds, iconst([options.padTokenId], [])])]);
    keepBool = g.op("Or", [keepBool, notPad]);
  }
  const convKeep = g.op("Unsqueeze", [g.op("Cast", [keepBool], { to: DataType.FLOAT }), iconst([2])]);

  const shape = g.op("Shape", [LFM2_GRAPH_IO.inputIds]);
  const seqLen = g.op("Gather", [shape, iconst([1], [])], { axis: 0 }); // scalar S
  const hasAttention = cfg.layerTypes.includes("full_attention");
  let cos = "";
  let sin = "";
  let bias = "";
  if (hasAttention) {
    const positions = g.op("Cast", [g.op("Range", [iconst([0], []), seqLen, iconst([1], [])])], { to: DataType.FLOAT });
    const invFreq: number[] = [];
    // transformers computes inv_freq in float32: 1 / base^(2i/d).
    for (let i = 0; i < hd; i += 2) invFreq.push(Math.fround(1 / Math.fround(cfg.ropeTheta ** Math.fround(i / hd))));
    const freqs = g.op("Mul", [g.op("Unsqueeze", [positions, iconst([1])]), fconst(invFreq, [1, hd / 2])]); // [S, hd/2]
    const emb = g.op("Concat", [freqs, freqs], { axis: -1 }); // [S, hd]
    cos = g.op("Cos", [emb]);
    sin = g.op("Sin", [emb]);
    // Additive bias [B, 1, 1, S, S] for scores laid out [B, kvHeads, groups, S, S].
    const keyMask = g.op("Unsqueeze", [maskF, iconst([1, 2, 3])]); // [B,1,1,1,S]
    let allowed = keyMask;
    if (cfg.variant === "causal") {
      const ones = g.op(
        "ConstantOfShape",
        [g.op("Concat", [g.op("Unsqueeze", [seqLen, iconst([0])]), g.op("Unsqueeze", [seqLen, iconst([0])])], { axis: 0 })],
        {
          value: floatTensor(new Float32Array([1]), [1]),
        },
      );
      const tril = g.op("Trilu", [ones], { upper: 0 }); // [S,S]: key j ≤ query i
      allowed = g.op("Mul", [tril, keyMask]);
    }
    bias = g.op("Mul", [g.op("Sub", [allowed, fconst([1], [])]), fconst([-MASK_BIAS], [])]);
  }

  const ropeHalf = iconst([hd / 2, hd / 2]);
  function rope(x: string): string {
    const [x1, x2] = [g.fresh("rope_lo"), g.fresh("rope_hi")];
    g.node("Split", [x, ropeHalf], [x1, x2], { axis: -1 });
    const rotated = g.op("Concat", [g.op("Neg", [x2]), x1], { axis: -1 });
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])]);
  }

  /** A branch output not yet added to the residual stream `h`. */
  let pending: string | null = null;
  /** `h += pending` then RMSNorm(h), fused into one contrib op when `skipNorm`. */
  function addAndNorm(weightName: string, weightData: Float32Array): string {
    if (pending !== null && options.skipNorm === true) {
      g.useDomain("com.microsoft", 1);
      const [normed, sum] = [g.fresh("skip_norm"), g.fresh("residual")];
      const gamma = g.initializer(weightName, floatTensor(weightData, [weightData.length]));
      g.node("SkipSimplifiedLayerNormalization", [h, pending, gamma], [normed, "", "", sum], { epsilon: { float: cfg.normEps } }, "com.microsoft");
      h = sum;
      pending = null;
      return normed;
    }
    if (pending !== null) {
      h = g.op("Add", [h, pending]);
      pending = null;
    }
    return rmsNorm(h, weightName, weightData);
  }

  const p = (i: number) => `layers.${i}`;
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const kind = cfg.layerTypes[i]!;
    progress(`LFM2: layer ${i + 1}/${cfg.numHiddenLayers} (${kind === "conv" ? "short conv" : "attention"})`);
    const xn = addAndNorm(`${p(i)}.operator_norm.weight`, await tensor(`${p(i)}.operator_norm.weight`, [H]));
    let mixed: string;
    if (kind === "conv") {
      const inBias = cfg.convBias ? await tensor(`${p(i)}.conv.in_proj.bias`, [3 * H]) : null;
      const causal = cfg.variant === "causal";
      const convIn0 = causal ? g.op("Mul", [xn, convKeep]) : xn; // transformers: x * mask before in_proj
      const bcx = linear(convIn0, `${p(i)}.conv.in_proj`, "convIn", [await tensor(`${p(i)}.conv.in_proj.weight`, [3 * H, H])], [3 * H], H, inBias);
      const [bGate, cGate, xPart] = [g.fresh("conv_b"), g.fresh("conv_c"), g.fresh("conv_x")];
      g.node("Split", [bcx, iconst([H, H, H])], [bGate, cGate, xPart], { axis: -1 });
      const gated = g.op("Mul", [bGate, xPart]);
      const bx = causal ? gated : g.op("Mul", [gated, convKeep]);
      const L = cfg.convLCache;
      const convW = await tensor(`${p(i)}.conv.conv.weight`, [H, 1, L]);
      const convIn = [g.op("Transpose", [bx], { perm: [0, 2, 1] }), g.initializer(`${p(i)}.conv.conv.weight`, floatTensor(convW, [H, 1, L]))];
      if (cfg.convBias) convIn.push(g.initializer(`${p(i)}.conv.conv.bias`, floatTensor(await tensor(`${p(i)}.conv.conv.bias`, [H]), [H])));
      const pads = cfg.variant === "causal" ? [L - 1, 0] : [Math.floor(L / 2), L - 1 - Math.floor(L / 2)];
      const conv = g.op("Conv", convIn, { group: H, kernel_shape: [L], pads, strides: [1], dilations: [1] });
      const y = g.op("Mul", [cGate, g.op("Transpose", [conv], { perm: [0, 2, 1] })]);
      const outBias = cfg.convBias ? await tensor(`${p(i)}.conv.out_proj.bias`, [H]) : null;
      mixed = linear(y, `${p(i)}.conv.out_proj`, "convOut", [await tensor(`${p(i)}.conv.out_proj.weight`, [H, H])], [H], H, outBias);
    } else {
      const a = `${p(i)}.self_attn`;
      const qkv = linear(
        xn,
        `${a}.qkv_proj`,
        "attnQkv",
        [
          await tensor(`${a}.q_proj.weight`, [nH * hd, H]),
          await tensor(`${a}.k_proj.weight`, [nKV * hd, H]),
          await tensor(`${a}.v_proj.weight`, [nKV * hd, H]),
        ],
        [nH * hd, nKV * hd, nKV * hd],
        H,
      );
      const [q0, k0, v0] = [g.fresh("q"), g.fresh("k"), g.fresh("v")];
      g.node("Split", [qkv, iconst([nH * hd, nKV * hd, nKV * hd])], [q0, k0, v0], { axis: -1 });
      const qn = rmsNorm(g.op("Reshape", [q0, iconst([0, 0, nH, hd])]), `${a}.q_layernorm.weight`, await tensor(`${a}.q_layernorm.weight`, [hd]));
      const kn = rmsNorm(g.op("Reshape", [k0, iconst([0, 0, nKV, hd])]), `${a}.k_layernorm.weight`, await tensor(`${a}.k_layernorm.weight`, [hd]));
      // q: [B,S,kv,G,hd] → [B,kv,G,S,hd]; k, v: [B,S,kv,hd] → [B,kv,1,S,hd] (broadcast over G).
      const q = g.op("Transpose", [g.op("Reshape", [qn, iconst([0, 0, nKV, groups, hd])])], { perm: [0, 2, 3, 1, 4] });
      const k = g.op("Unsqueeze", [g.op("Transpose", [kn], { perm: [0, 2, 1, 3] }), iconst([2])]);
      const v = g.op("Unsqueeze", [g.op("Transpose", [g.op("Reshape", [v0, iconst([0, 0, nKV, hd])])], { perm: [0, 2, 1, 3] }), iconst([2])]);
      const qr = g.op("Mul", [rope(q), fconst([hd ** -0.5], [])]);
      const kr = rope(k);
      const scores = g.op("Add", [g.op("MatMul", [qr, g.op("Transpose", [kr], { perm: [0, 1, 2, 4, 3] })]), bias]);
      const probs = g.op("Softmax", [scores], { axis: -1 });
      const ctx = g.op("MatMul", [probs, v]); // [B,kv,G,S,hd]
      const merged = g.op("Reshape", [g.op("Transpose", [ctx], { perm: [0, 3, 1, 2, 4] }), iconst([0, 0, nH * hd])]);
      mixed = linear(merged, `${a}.out_proj`, "attnOut", [await tensor(`${a}.out_proj.weight`, [H, nH * hd])], [H], nH * hd);
    }
    pending = mixed;
    const fn = addAndNorm(`${p(i)}.ffn_norm.weight`, await tensor(`${p(i)}.ffn_norm.weight`, [H]));
    const f = `${p(i)}.feed_forward`;
    const w13 = linear(fn, `${f}.w13`, "ffnUp", [await tensor(`${f}.w1.weight`, [F, H]), await tensor(`${f}.w3.weight`, [F, H])], [F, F], H);
    const [gate, up] = [g.fresh("ffn_gate"), g.fresh("ffn_up")];
    g.node("Split", [w13, iconst([F, F])], [gate, up], { axis: -1 });
    const act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up]);
    pending = linear(act, `${f}.w2`, "ffnDown", [await tensor(`${f}.w2.weight`, [H, F])], [H], F);
  }

  progress("LFM2: final norm and ColBERT head");
  const final = addAndNorm("embedding_norm.weight", await tensor("embedding_norm.weight", [H]));
  if (dense.inFeatures !== H) {
    throw new MaxsimError("CHECKPOINT_INVALID", `1_Dense maps ${dense.inFeatures} features but the backbone's hidden size is ${H}. Re-download the model.`);
  }
  const projected = linear(final, "dense", "dense", [dense.weight], [dense.outFeatures], H, dense.bias);
  const norm = g.op("Max", [g.op("ReduceL2", [projected], { axes: [-1], keepdims: 1 }), fconst([1e-12], [])]);
  g.node("Div", [projected, norm], [LFM2_GRAPH_IO.output]);
  g.output(LFM2_GRAPH_IO.output, DataType.FLOAT, ["batch", "sequence", dense.outFeatures]);
  return g;
}
