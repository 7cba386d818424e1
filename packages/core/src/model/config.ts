/**
 * Reading the ColBERT configuration of each layout into one {@link ColbertConfig}. Defaults are
 * PyLate's (`pylate/models/colbert.py`): prefixes `"[Q] "`/`"[D] "`, query length 32, document
 * length 180, query expansion on, no attention to expansion tokens, skiplist = Python's
 * `string.punctuation`. Fields that only the tokenizer knows (prefix ids of the
 * sentence-transformers layout, mask/pad ids) stay `null` here and are resolved by the encoder.
 */
import { readFile, access } from "node:fs/promises";
import { join } from "node:path";
import { MaxsimError } from "../errors.js";
import type { ColbertConfig } from "./types.js";

/** Python's `string.punctuation`, one character per entry (PyLate's default skiplist). */
export const PYTHON_PUNCTUATION: readonly string[] = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];

/** PyLate's defaults for fields a config leaves out. */
export const PYLATE_DEFAULTS = {
  queryPrefix: "[Q] ",
  documentPrefix: "[D] ",
  queryLength: 32,
  documentLength: 180,
  doQueryExpansion: true,
  attendToExpansionTokens: false,
} as const;

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads and parses a JSON file.
 * @throws MaxsimError `CONFIG_MISSING` when absent, `CONFIG_INVALID` when it does not parse.
 */
export async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new MaxsimError("CONFIG_MISSING", `Config file ${path} is missing. Re-download the model or export it again with pylate-onnx-export.`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new MaxsimError("CONFIG_INVALID", `Config file ${path} is not a JSON object. Re-download the model or fix the file.`, { cause });
  }
}

type Kind = "string" | "int" | "bool" | "stringArray";

/** Reads optional field `key` of `json`, checking its type. `undefined` when absent or null. */
export function field<T>(json: Record<string, unknown>, key: string, kind: Kind, file: string): T | undefined {
  const v = json[key];
  if (v === undefined || v === null) return undefined;
  const ok =
    kind === "string"
      ? typeof v === "string"
      : kind === "int"
        ? typeof v === "number" && Number.isInteger(v)
        : kind === "bool"
          ? typeof v === "boolean"
          : Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!ok) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `Field "${key}" of ${file} must be ${kind === "int" ? "an integer" : kind === "stringArray" ? "an array of strings" : `a ${kind}`}, got ${JSON.stringify(v)}. Fix the file or re-export the model.`,
    );
  }
  return v as T;
}

/** Validates lengths and dim of a resolved config. */
export function checkConfig(config: ColbertConfig, file: string): ColbertConfig {
  const positive: [string, number][] = [
    ["query_length", config.queryLength],
    ["document_length", config.documentLength],
    ["embedding_dim", config.embeddingDim],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MaxsimError("CONFIG_INVALID", `Field "${name}" of ${file} must be a positive integer, got ${value}. Fix the file or pass a valid override.`);
    }
  }
  for (const [name, value, prefix] of [
    ["query", config.queryLength, config.queryPrefix],
    ["document", config.documentLength, config.documentPrefix],
  ] as const) {
    if (prefix !== "" && value < 3) {
      throw new MaxsimError("CONFIG_INVALID", `The ${name} length ${value} of ${file} leaves no room for the special tokens and the prefix; use at least 3.`);
    }
  }
  return config;
}

/**
 * The fields PyLate writes under the same names in `onnx_config.json` and
 * `config_sentence_transformers.json`, with PyLate's defaults for absent ones.
 */
function pylateFields(j: Record<string, unknown>, file: string) {
  const doQueryExpansion = field<boolean>(j, "do_query_expansion", "bool", file) ?? PYLATE_DEFAULTS.doQueryExpansion;
  return {
    queryPrefix: field<string>(j, "query_prefix", "string", file) ?? PYLATE_DEFAULTS.queryPrefix,
    documentPrefix: field<string>(j, "document_prefix", "string", file) ?? PYLATE_DEFAULTS.documentPrefix,
    queryLength: field<number>(j, "query_length", "int", file) ?? PYLATE_DEFAULTS.queryLength,
    documentLength: field<number>(j, "document_length", "int", file) ?? PYLATE_DEFAULTS.documentLength,
    doQueryExpansion,
    // PyLate turns attention to expansion tokens off when there is no expansion.
    attendToExpansionTokens: doQueryExpansion && (field<boolean>(j, "attend_to_expansion_tokens", "bool", file) ?? PYLATE_DEFAULTS.attendToExpansionTokens),
    skiplistWords: field<string[]>(j, "skiplist_words", "stringArray", file) ?? [...PYTHON_PUNCTUATION],
  };
}

/**
 * Reads `onnx_config.json` (what pylate-onnx-export writes next to `model.onnx`).
 * @throws MaxsimError `CONFIG_MISSING`, `CONFIG_INVALID`
 */
export async function readOnnxConfig(dir: string): Promise<ColbertConfig> {
  const file = join(dir, "onnx_config.json");
  const j = await readJson(file);
  const embeddingDim = field<number>(j, "embedding_dim", "int", file);
  if (embeddingDim === undefined) {
    throw new MaxsimError("CONFIG_MISSING", `Field "embedding_dim" is missing from ${file}. Export the model again with pylate-onnx-export.`);
  }
  const pylate = pylateFields(j, file);
  return checkConfig(
    {
      ...pylate,
      queryPrefixId: pylate.queryPrefix === "" ? null : (field<number>(j, "query_prefix_id", "int", file) ?? null),
      documentPrefixId: pylate.documentPrefix === "" ? null : (field<number>(j, "document_prefix_id", "int", file) ?? null),
      embeddingDim,
      maskTokenId: field<number>(j, "mask_token_id", "int", file) ?? null,
      padTokenId: field<number>(j, "pad_token_id", "int", file) ?? null,
      usesTokenTypeIds: field<boolean>(j, "uses_token_type_ids", "bool", file) ?? false,
      doLowerCase: field<boolean>(j, "do_lower_case", "bool", file) ?? false,
    },
    file,
  );
}

/**
 * Reads the PyLate fields of `config_sentence_transformers.json` plus `do_lower_case` from
 * `sentence_bert_config.json` (sentence-transformers lower-cases before tokenising when set).
 * `embeddingDim` is the last Dense module's `out_features`, passed in by the layout.
 * @throws MaxsimError `CONFIG_MISSING`, `CONFIG_INVALID`
 */
export async function readSentenceTransformersConfig(dir: string, embeddingDim: number): Promise<ColbertConfig> {
  const file = join(dir, "config_sentence_transformers.json");
  const j = await readJson(file);
  const bertFile = join(dir, "sentence_bert_config.json");
  const bert = (await exists(bertFile)) ? await readJson(bertFile) : {};
  return checkConfig(
    {
      ...pylateFields(j, file),
      queryPrefixId: null,
      documentPrefixId: null,
      embeddingDim,
      maskTokenId: null,
      padTokenId: null,
      usesTokenTypeIds: false,
      doLowerCase: field<boolean>(bert, "do_lower_case", "bool", bertFile) ?? false,
    },
    file,
  );
}
