/**
 * The registry of model layouts. Each layout lives in its own small file and registers itself
 * here; the loader asks each, in priority order, whether a directory is in its layout (the
 * registry pattern of transformers.js `src/models/registry.js`). Users never name the layout.
 *
 * Adding a layout: write `layouts/<name>.ts` exporting a {@link ModelLayout}, then add it to
 * `builtinLayouts` below (or call {@link registerLayout} at runtime).
 */
import type { ModelLayout } from "../types.js";

/**
 * Built-in layouts, most specific first: a PyLate ONNX export (`onnx_config.json`), then a
 * sentence-transformers directory with an ONNX backbone, then (issue #5) a safetensors LFM2
 * checkpoint whose graph is built natively. The LFM2 builder adds its layout by pushing it in
 * `model/lfm2/` through {@link registerLayout} from a module imported in `builtin-layouts.ts`.
 */
const layouts: ModelLayout[] = [];

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
