/**
 * `maxsim info --model <id|dir>`: prints the resolved model configuration (layout, prefixes,
 * lengths, expansion id, dim, inputs) as JSON. `maxsim info` alone prints the installation:
 * versions and which centroid prober approximate search uses, and how to enable the other.
 *
 * `maxsim info <dir>` (a positional directory) is reserved for describing an index/collection:
 * the module that owns collections registers a describer with {@link setIndexInfo}; without one,
 * a positional directory is treated as a model directory.
 */
import type { Command } from "commander";
import { ColBERT } from "../../encoder/colbert.js";
import type { ModelInfo } from "../../encoder/types.js";
import { modelProgress } from "../progress.js";
import { centroidProbingInfo, runtimeInfo } from "./runtime-info.js";

/** Describes an index directory as JSON-serialisable data, or returns `undefined` if `dir` is not one. */
export type IndexInfoFn = (dir: string) => Promise<unknown>;

let indexInfo: IndexInfoFn | undefined;

/** Lets the collection module handle `maxsim info <index-dir>`. */
export function setIndexInfo(fn: IndexInfoFn): void {
  indexInfo = fn;
}

/**
 * Loads `model` and returns its resolved configuration.
 * @example
 * ```ts
 * // what `maxsim info --model <dir>` prints, as an object
 * import { ColBERT } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lfm2Style } = await ensureFixtures();
 * const model = await ColBERT.fromPretrained(lfm2Style);
 * console.log(model.info.layout, model.info.expansionToken, model.info.inputs); // pylate-onnx <|im_end|> [ 'input_ids', 'attention_mask' ]
 * await model.dispose();
 * ```
 */
export async function modelInfo(model: string): Promise<ModelInfo> {
  const encoder = await ColBERT.fromPretrained(model, { onProgress: modelProgress });
  try {
    return encoder.info;
  } finally {
    await encoder.dispose();
  }
}

/** Registers `maxsim info`. */
export function registerInfo(program: Command): void {
  program
    .command("info")
    .description(
      "print a model's resolved configuration as JSON (--model), describe an index directory, or (no argument) this installation: versions and centroid probing",
    )
    .argument("[dir]", "an index directory (or a model directory)")
    .option("-m, --model <id|dir>", "hub id or model directory")
    .action(async (dir: string | undefined, opts: { model?: string }) => {
      let out: unknown;
      if (opts.model !== undefined) out = await modelInfo(opts.model);
      else if (dir !== undefined) {
        const described = indexInfo ? await indexInfo(dir) : undefined;
        out =
          described !== undefined && described !== null && typeof described === "object"
            ? { ...described, centroidProbing: centroidProbingInfo() }
            : (described ?? (await modelInfo(dir)));
      } else {
        out = runtimeInfo();
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });
}
