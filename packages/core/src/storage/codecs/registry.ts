/**
 * The codec registry: codecs by name. `float32` and `float16` are built in; the PLAID residual
 * codec (`index/`) registers itself here. The pattern of transformers.js `models/registry.js`.
 */
import { MaxsimError } from "../../errors.js";
import type { CodecContext, CodecDefinition, VectorCodec } from "./codec.js";
import { float16Codec } from "./float16.js";
import { float32Codec } from "./float32.js";

const CODECS = new Map<string, CodecDefinition>([
  [float32Codec.name, float32Codec],
  [float16Codec.name, float16Codec],
]);

/**
 * Adds a codec under `definition.name` (replacing one of the same name).
 *
 * @example
 * ```ts
 * import { registerCodec, codecNames, getCodec } from "@maxsim/core";
 * registerCodec({ name: "float32-copy", create: (ctx) => ({ ...getCodec("float32", ctx), name: "float32-copy" }) });
 * console.log(codecNames().includes("float32-copy")); // true
 * ```
 */
export function registerCodec(definition: CodecDefinition): void {
  if (!/^[a-z0-9._-]+$/.test(definition.name)) {
    throw new MaxsimError("INVALID_OPTION", `Codec name ${JSON.stringify(definition.name)} must match [a-z0-9._-]+.`);
  }
  CODECS.set(definition.name, definition);
}

/**
 * Names of the registered codecs.
 *
 * @example
 * ```ts
 * import { codecNames } from "@maxsim/core";
 * console.log(codecNames().slice(0, 2)); // ["float32", "float16"]
 * ```
 */
export function codecNames(): string[] {
  return [...CODECS.keys()];
}

/**
 * The definition registered as `name`, or undefined.
 *
 * @example
 * ```ts
 * import { codecDefinition } from "@maxsim/core";
 * console.log(codecDefinition("float16")?.name, codecDefinition("nope")); // float16 undefined
 * ```
 */
export function codecDefinition(name: string): CodecDefinition | undefined {
  return CODECS.get(name);
}

/**
 * Creates the codec registered as `name`.
 *
 * @param name - codec name, e.g. `"float16"`.
 * @param context - dimension and, for trained codecs, their state.
 * @throws MaxsimError `INVALID_OPTION` for an unknown name or missing state.
 *
 * @example
 * ```ts
 * import { getCodec } from "@maxsim/core";
 * const codec = getCodec("float16", { dim: 2 });
 * console.log(codec.decode(codec.encode(new Float32Array([0.5, 1])))); // Float32Array(2) [0.5, 1]
 * ```
 */
export function getCodec(name: string, context: CodecContext): VectorCodec {
  const definition = CODECS.get(name);
  if (definition === undefined) {
    throw new MaxsimError(
      "INVALID_OPTION",
      `Unknown vector codec ${JSON.stringify(name)}. Known codecs: ${codecNames().join(", ")}. Import the module that registers it before opening the index.`,
    );
  }
  if (!Number.isSafeInteger(context.dim) || context.dim <= 0) {
    throw new MaxsimError("INVALID_OPTION", `Codec dim must be a positive integer, got ${context.dim}.`);
  }
  if (definition.needsState === true && context.state === undefined) {
    throw new MaxsimError("INVALID_OPTION", `Codec ${name} needs trained state (e.g. centroids); pass it as context.state.`);
  }
  return definition.create(context);
}
