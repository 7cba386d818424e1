/**
 * The LFM2 checkpoint layout: a PyLate / sentence-transformers directory whose backbone is an
 * LFM2 (`config.json` model_type `lfm2` or `lfm2_bidirectional`) safetensors checkpoint with no ONNX
 * graph, as `LiquidAI/LFM2-ColBERT-350M` and `LiquidAI/LFM2.5-ColBERT-350M` are published. The
 * graph is built natively from the weights (`model/lfm2/`) and cached; the built model already
 * applies the Dense head and L2 normalisation, so it then behaves like a pylate-onnx export.
 */
import { join } from "node:path";
import { exists, readJson } from "../config.js";
import { readSentenceTransformersConfig } from "../config.js";
import { ensureLfm2Onnx, lfm2PadTokenId } from "../lfm2/build-cache.js";
import { LFM2_MODEL_TYPES } from "../lfm2/config.js";
import type { LoadedModel, ModelLayout } from "../types.js";
import { denseModulePaths } from "./sentence-transformers.js";

/**
 * The `lfm2-checkpoint` layout.
 *
 * @example
 * ```ts
 * import { makeLfm2Checkpoint } from "../../../scripts/make-lfm2-checkpoint.js";
 * import { lfm2CheckpointLayout } from "./lfm2-checkpoint.js";
 * const { dir } = await makeLfm2Checkpoint("lfm2-tiny");
 * console.log(await lfm2CheckpointLayout.detect(dir)); // true
 * const loaded = await lfm2CheckpointLayout.load(dir, { cacheDir: "cache" }); // builds once, then cached
 * console.log(loaded.layout, loaded.config.queryLength, loaded.config.padTokenId, loaded.dense.length); // lfm2-checkpoint 32 0 0
 * ```
 */
export const lfm2CheckpointLayout: ModelLayout = {
  name: "lfm2-checkpoint",
  async detect(dir) {
    const file = join(dir, "config.json");
    if (!(await exists(file)) || !(await exists(join(dir, "modules.json")))) return false;
    try {
      const modelType = (await readJson(file)).model_type;
      return typeof modelType === "string" && LFM2_MODEL_TYPES.includes(modelType);
    } catch {
      return false;
    }
  },
  async load(dir, options): Promise<LoadedModel> {
    const built = await ensureLfm2Onnx(dir, { cacheDir: options.cacheDir, int8: options.int8 === true, onProgress: options.onProgress });
    const config = await readSentenceTransformersConfig(dir, built.dim);
    // The graph treats attention-0 positions holding this id as padding (see build-graph.ts).
    config.padTokenId = await lfm2PadTokenId(dir, built.config.padTokenId);
    return { layout: "lfm2-checkpoint", onnx: built.path, config, tokenizerDir: dir, dense: [] };
  },
  hubFiles: {
    markers: ["config.json", "config_sentence_transformers.json", "modules.json"],
    required: [["model.safetensors"], ["tokenizer.json"], ["tokenizer_config.json"]],
    optional: ["special_tokens_map.json", "sentence_bert_config.json"],
    async discover(dir) {
      const out: string[] = [];
      for (const p of await denseModulePaths(dir)) out.push(`${p}/config.json`, `${p}/model.safetensors`);
      return out;
    },
  },
};
