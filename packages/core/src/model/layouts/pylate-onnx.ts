/**
 * The layout pylate-onnx-export (next-plaid) writes: `model.onnx` (optionally `model_int8.onnx`,
 * external data next to it), `tokenizer.json`, `tokenizer_config.json` and `onnx_config.json`.
 * The model's first output already holds `embedding_dim`-wide token vectors.
 */
import { join } from "node:path";
import { MaxsimError } from "../../errors.js";
import { exists, readOnnxConfig } from "../config.js";
import type { LoadedModel, ModelLayout } from "../types.js";

/** The pylate-onnx-export layout (`onnx_config.json` + `model.onnx`). */
export const pylateOnnxLayout: ModelLayout = {
  name: "pylate-onnx",
  async detect(dir) {
    return (await exists(join(dir, "onnx_config.json"))) && ((await exists(join(dir, "model.onnx"))) || (await exists(join(dir, "model_int8.onnx"))));
  },
  async load(dir, options): Promise<LoadedModel> {
    const config = await readOnnxConfig(dir);
    const fp32 = join(dir, "model.onnx");
    const int8 = join(dir, "model_int8.onnx");
    let onnx: string;
    if (options.int8 === true && (await exists(int8))) onnx = int8;
    else if (await exists(fp32)) onnx = fp32;
    else if (await exists(int8)) onnx = int8;
    else {
      throw new MaxsimError("MODEL_NOT_FOUND", `No model.onnx (or model_int8.onnx) in ${dir}. Export the model again with pylate-onnx-export.`);
    }
    return { layout: "pylate-onnx", onnx, config, tokenizerDir: dir, dense: [] };
  },
  hubFiles: {
    markers: ["onnx_config.json"],
    required: [["tokenizer.json"], ["tokenizer_config.json"], ["model.onnx"]],
    optional: ["model_int8.onnx", "model.onnx.data", "model.onnx_data", "special_tokens_map.json"],
  },
};
