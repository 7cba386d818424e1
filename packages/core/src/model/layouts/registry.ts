/**
 * The registry of model layouts. Each layout lives in its own small file; this module imports
 * each one and lists it, and the loader asks each, in priority order, whether a directory is in
 * its layout (the registry pattern of transformers.js `src/models/registry.js`). Users never name
 * the layout.
 *
 * The list is built here explicitly, never by a module that registers itself when imported: the
 * package says `"sideEffects": false`, so a bundler may drop an import that only has side effects,
 * and every model would then fail with `UNKNOWN_LAYOUT`.
 *
 * Adding a layout: write `layouts/<name>.ts` exporting a {@link ModelLayout}, then add it to
 * `BUILTIN_LAYOUTS` below (or call {@link registerLayout} at runtime).
 */
import type { ModelLayout } from "../types.js";
import { lfm2CheckpointLayout } from "./lfm2-checkpoint.js";
import { pylateOnnxLayout } from "./pylate-onnx.js";
import { sentenceTransformersLayout } from "./sentence-transformers.js";

/**
 * Built-in layouts, most specific first: a PyLate ONNX export (`onnx_config.json`), then a
 * sentence-transformers directory with an ONNX backbone, then a safetensors LFM2 checkpoint whose
 * graph is built natively.
 */
const BUILTIN_LAYOUTS: readonly ModelLayout[] = [pylateOnnxLayout, sentenceTransformersLayout, lfm2CheckpointLayout];

const layouts: ModelLayout[] = [...BUILTIN_LAYOUTS];

/**
 * Adds a layout. Earlier layouts win when several detect the same directory, so register the
 * most specific first; `priority: "first"` puts it ahead of every registered one.
 *
 * @example
 * ```ts
 * import { getLayout, listLayouts, registerLayout } from "@maxsim/core";
 * // a layout that recognises nothing, registered last
 * const never = { ...getLayout("pylate-onnx")!, name: "never", detect: async () => false };
 * registerLayout(never);
 * console.log(listLayouts().map((l) => l.name).slice(0, 2), listLayouts().at(-1)?.name); // [ 'pylate-onnx', 'sentence-transformers' ] never
 * ```
 */
export function registerLayout(layout: ModelLayout, priority: "first" | "last" = "last"): void {
  const existing = layouts.findIndex((l) => l.name === layout.name);
  if (existing >= 0) layouts.splice(existing, 1);
  if (priority === "first") layouts.unshift(layout);
  else layouts.push(layout);
}

/**
 * Every registered layout in priority order.
 * @example
 * ```ts
 * import { listLayouts } from "@maxsim/core";
 * console.log(listLayouts().map((l) => l.name).slice(0, 3)); // [ 'pylate-onnx', 'sentence-transformers', 'lfm2-checkpoint' ]
 * ```
 */
export function listLayouts(): readonly ModelLayout[] {
  return layouts;
}

/**
 * The layout named `name`, if registered.
 *
 * @example
 * ```ts
 * import { getLayout } from "@maxsim/core";
 * console.log(getLayout("pylate-onnx")?.name, getLayout("nope")); // pylate-onnx undefined
 * ```
 */
export function getLayout(name: string): ModelLayout | undefined {
  return layouts.find((l) => l.name === name);
}

/**
 * The first registered layout whose `detect` accepts `dir`, or `undefined`.
 * @example
 * ```ts
 * import { detectLayout } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lexical, lexicalSt } = await ensureFixtures();
 * console.log((await detectLayout(lexical))?.name, (await detectLayout(lexicalSt))?.name); // pylate-onnx sentence-transformers
 * ```
 */
export async function detectLayout(dir: string): Promise<ModelLayout | undefined> {
  for (const layout of layouts) {
    if (await layout.detect(dir)) return layout;
  }
  return undefined;
}
