/**
 * The sentence-transformers / PyLate hub layout: `config_sentence_transformers.json` (PyLate's
 * prefixes, lengths, expansion flags, skiplist), `modules.json` (Transformer, then Dense modules
 * such as `1_Dense/` with safetensors weights), the tokenizer, and an ONNX export of the
 * backbone (`onnx/model.onnx` or `model.onnx`) whose first output is the last hidden state. The
 * Dense heads are returned as {@link DenseProjection}s for the encoder to apply.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MaxsimError } from "../../errors.js";
import { exists, field, readJson, readSentenceTransformersConfig } from "../config.js";
import { readSafetensors } from "../safetensors.js";
import type { DenseProjection, LoadedModel, ModelLayout } from "../types.js";

interface ModuleEntry {
  path: string;
  type: string;
}

/** The Dense module directories named by `modules.json`, in order. */
export async function denseModulePaths(dir: string): Promise<string[]> {
  const modules = (await readJsonArray(join(dir, "modules.json"))) as Partial<ModuleEntry>[];
  // Types look like "sentence_transformers.models.Dense" or "pylate.models.Dense.Dense".
  return modules
    .filter((m): m is ModuleEntry => typeof m.type === "string" && typeof m.path === "string" && m.type.split(".").includes("Dense"))
    .map((m) => m.path);
}

async function readJsonArray(file: string): Promise<unknown[]> {
  // modules.json is an array, which readJson rejects; read it here.
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new MaxsimError("CONFIG_INVALID", `${file} is missing or not JSON. Re-download the model.`, { cause });
  }
  if (!Array.isArray(value)) throw new MaxsimError("CONFIG_INVALID", `${file} must be a JSON array of modules. Re-download the model.`);
  return value;
}

/** Candidate backbone paths, preferred first. */
function onnxCandidates(dir: string, int8: boolean): string[] {
  const fp32 = [join(dir, "onnx", "model.onnx"), join(dir, "model.onnx")];
  const q = [join(dir, "onnx", "model_int8.onnx"), join(dir, "model_int8.onnx"), join(dir, "onnx", "model_quantized.onnx")];
  return int8 ? [...q, ...fp32] : [...fp32, ...q];
}

/**
 * Loads one Dense module directory (`config.json` + `model.safetensors`).
 * @throws MaxsimError `CONFIG_MISSING`, `CONFIG_INVALID`, `CHECKPOINT_INVALID`
 */
export async function loadDense(moduleDir: string): Promise<DenseProjection> {
  const configFile = join(moduleDir, "config.json");
  const c = await readJson(configFile);
  const inFeatures = field<number>(c, "in_features", "int", configFile);
  const outFeatures = field<number>(c, "out_features", "int", configFile);
  if (inFeatures === undefined || outFeatures === undefined) {
    throw new MaxsimError("CONFIG_MISSING", `${configFile} must name in_features and out_features. Re-download the model.`);
  }
  const activation = field<string>(c, "activation_function", "string", configFile) ?? "torch.nn.modules.linear.Identity";
  if (!/Identity$/.test(activation)) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `Dense activation ${activation} in ${configFile} is not supported (only Identity, as PyLate uses). Use a model with a linear projection head.`,
    );
  }
  const weightsFile = join(moduleDir, "model.safetensors");
  if (!(await exists(weightsFile))) {
    throw new MaxsimError(
      "CONFIG_MISSING",
      `${weightsFile} is missing (pytorch_model.bin is not read). Re-save the model with safetensors (sentence-transformers does by default).`,
    );
  }
  const tensors = await readSafetensors(weightsFile);
  const weight = tensors.get("linear.weight");
  if (!weight || weight.shape.length !== 2 || weight.shape[0] !== outFeatures || weight.shape[1] !== inFeatures) {
    throw new MaxsimError(
      "CHECKPOINT_INVALID",
      `${weightsFile} must hold linear.weight of shape [${outFeatures}, ${inFeatures}], got ${weight ? `[${weight.shape.join(", ")}]` : "none"}. Re-download the model.`,
    );
  }
  const bias = tensors.get("linear.bias");
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new MaxsimError("CHECKPOINT_INVALID", `${weightsFile}: linear.bias must have shape [${outFeatures}]. Re-download the model.`);
  }
  const projection: DenseProjection = { weight: weight.data, bias: bias?.data ?? null, inFeatures, outFeatures, activation: "identity" };
  if (field<boolean>(c, "use_residual", "bool", configFile) === true) {
    if (inFeatures === outFeatures) projection.residual = "identity";
    else {
      const r = tensors.get("residual.weight");
      if (!r || r.shape.length !== 2 || r.shape[0] !== outFeatures || r.shape[1] !== inFeatures) {
        throw new MaxsimError(
          "CHECKPOINT_INVALID",
          `${weightsFile} must hold residual.weight of shape [${outFeatures}, ${inFeatures}] (use_residual is set). Re-download the model.`,
        );
      }
      projection.residual = r.data;
    }
  }
  return projection;
}

/** The sentence-transformers layout with an ONNX backbone (Dense applied by the encoder). */
export const sentenceTransformersLayout: ModelLayout = {
  name: "sentence-transformers",
  async detect(dir) {
    if (!(await exists(join(dir, "config_sentence_transformers.json"))) || !(await exists(join(dir, "modules.json")))) return false;
    for (const candidate of onnxCandidates(dir, false)) if (await exists(candidate)) return true;
    return false;
  },
  async load(dir, options): Promise<LoadedModel> {
    const denseDirs = await denseModulePaths(dir);
    const dense: DenseProjection[] = [];
    for (const p of denseDirs) dense.push(await loadDense(join(dir, p)));
    for (let i = 1; i < dense.length; i++) {
      if (dense[i]!.inFeatures !== dense[i - 1]!.outFeatures) {
        throw new MaxsimError(
          "CONFIG_INVALID",
          `Dense module ${denseDirs[i]} takes ${dense[i]!.inFeatures} features but ${denseDirs[i - 1]} gives ${dense[i - 1]!.outFeatures}. Fix modules.json.`,
        );
      }
    }
    if (dense.length === 0) {
      throw new MaxsimError(
        "CONFIG_INVALID",
        `modules.json in ${dir} lists no Dense module, so the hidden state has no ColBERT projection. Use a PyLate model (it saves 1_Dense/).`,
      );
    }
    const config = await readSentenceTransformersConfig(dir, dense[dense.length - 1]!.outFeatures);
    let onnx: string | undefined;
    for (const candidate of onnxCandidates(dir, options.int8 === true)) {
      if (await exists(candidate)) {
        onnx = candidate;
        break;
      }
    }
    if (onnx === undefined) {
      throw new MaxsimError(
        "MODEL_NOT_FOUND",
        `No ONNX backbone (onnx/model.onnx or model.onnx) in ${dir}. Export the backbone to ONNX (e.g. optimum-cli export onnx) or use pylate-onnx-export.`,
      );
    }
    return { layout: "sentence-transformers", onnx, config, tokenizerDir: dir, dense };
  },
  hubFiles: {
    markers: ["config_sentence_transformers.json", "modules.json"],
    required: [["tokenizer.json"], ["tokenizer_config.json"], ["onnx/model.onnx", "model.onnx"]],
    optional: [
      "sentence_bert_config.json",
      "special_tokens_map.json",
      "onnx/model.onnx_data",
      "onnx/model.onnx.data",
      "model.onnx_data",
      "model.onnx.data",
      "onnx/model_int8.onnx",
    ],
    async discover(dir) {
      const out: string[] = [];
      for (const p of await denseModulePaths(dir)) out.push(`${p}/config.json`, `${p}/model.safetensors`);
      return out;
    },
  },
};
