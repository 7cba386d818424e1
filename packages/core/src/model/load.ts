/**
 * Turns a hub id or a directory into a {@link LoadedModel}: resolve the directory (downloading
 * hub files into the cache), let the layout registry detect the layout, and load it. Nobody names
 * the layout; a directory no layout accepts gets an error that says what was found and what each
 * layout needs.
 */
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { MaxsimError } from "../errors.js";
import { exists, readJson } from "./config.js";
import { isFixtureId, resolveFixtureId } from "./fixture-id.js";
import { LFM2_MODEL_TYPES } from "./lfm2/config.js";
import { HubSnapshot, isHubId, type HubOptions } from "./hub.js";
import { detectLayout, getLayout, listLayouts } from "./layouts/registry.js";
import type { LayoutLoadOptions, LoadedModel, ModelLayout } from "./types.js";

/** Options for {@link loadModel}. */
export interface LoadModelOptions extends HubOptions, LayoutLoadOptions {}

/** A loaded model and where it came from. */
export interface ResolvedModel {
  /** The hub id or the resolved absolute directory. */
  modelId: string;
  /** The directory the files were read from (a cache snapshot for hub ids). */
  dir: string;
  loaded: LoadedModel;
}

/**
 * Loads the model at `idOrDir`.
 *
 * @example
 * ```ts
 * import { loadModel } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lexicalSt } = await ensureFixtures();
 * const { loaded } = await loadModel(lexicalSt);
 * console.log(loaded.layout, loaded.dense.map((d) => [d.inFeatures, d.outFeatures])); // sentence-transformers [ [ 192, 128 ] ]
 * ```
 *
 * @param idOrDir - a hub id (`owner/name`), a model directory, or `fixture:<name>` (a generated
 * offline fixture, e.g. `fixture:multilingual`)
 * @throws MaxsimError `MODEL_NOT_FOUND` (no such directory or fixture), `HUB_OFFLINE` (hub files not cached and
 * the hub unreachable), `UNSUPPORTED_MODEL` (a checkpoint with no ONNX graph and no layout to build
 * one), `UNKNOWN_LAYOUT`, and the layouts' `CONFIG_*` errors.
 */
export async function loadModel(idOrDir: string, options: LoadModelOptions = {}): Promise<ResolvedModel> {
  if (typeof idOrDir !== "string" || idOrDir.trim() === "") {
    throw new MaxsimError("INVALID_INPUT", "The model must be a hub id (owner/name) or a directory path; got an empty value.");
  }
  if (isFixtureId(idOrDir)) {
    // The id stays the model id (a collection stores it), so it reopens wherever fixtures live.
    const dir = await resolveFixtureId(idOrDir);
    return { modelId: idOrDir, dir, loaded: await loadDir(dir, options) };
  }
  const asPath = resolve(idOrDir);
  if (await isDirectory(asPath)) {
    return { modelId: asPath, dir: asPath, loaded: await loadDir(asPath, options) };
  }
  if (!isHubId(idOrDir)) {
    throw new MaxsimError(
      "MODEL_NOT_FOUND",
      `Model directory ${asPath} does not exist. Check the path, or pass a hub id such as lightonai/GTE-ModernColBERT-v1.`,
    );
  }
  const dir = await downloadHubModel(idOrDir, options);
  return { modelId: idOrDir, dir, loaded: await loadDir(dir, options) };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function loadDir(dir: string, options: LoadModelOptions): Promise<LoadedModel> {
  const layout = await detectLayout(dir);
  if (layout) return layout.load(dir, options);
  throw await noLayoutError(dir, dir);
}

/** The `model_type` of `dir/config.json` when it names an LFM2-family model, else undefined. */
async function lfm2ModelType(dir: string): Promise<string | undefined> {
  const file = join(dir, "config.json");
  if (!(await exists(file))) return undefined;
  try {
    const config = await readJson(file);
    return typeof config.model_type === "string" && config.model_type.toLowerCase().startsWith("lfm2") ? config.model_type : undefined;
  } catch {
    return undefined;
  }
}

async function noLayoutError(dir: string, label: string): Promise<MaxsimError> {
  const modelType = await lfm2ModelType(dir);
  if (modelType !== undefined) {
    // Say exactly why the LFM2 layout refused it: the files it lacks, or the model type.
    const lfm2 = getLayout("lfm2-checkpoint");
    const reasons: string[] = [];
    if (!LFM2_MODEL_TYPES.includes(modelType))
      reasons.push(
        `config.json says model_type ${JSON.stringify(modelType)}, and only ${LFM2_MODEL_TYPES.map((t) => JSON.stringify(t)).join(" and ")} are built natively`,
      );
    if (lfm2 !== undefined) {
      const missing: string[] = [];
      for (const file of lfm2.hubFiles.markers) if (!(await exists(join(dir, file)))) missing.push(file);
      for (const alternatives of lfm2.hubFiles.required) {
        const present = await Promise.all(alternatives.map((f) => exists(join(dir, f))));
        if (!present.some(Boolean)) missing.push(alternatives.join(" or "));
      }
      if (missing.length > 0) reasons.push(`it lacks ${missing.join(", ")}`);
    } else {
      reasons.push("the lfm2-checkpoint layout is not registered");
    }
    return new MaxsimError(
      "UNSUPPORTED_MODEL",
      `${label} is an LFM2 checkpoint (safetensors, no ONNX graph), but the lfm2-checkpoint layout cannot load it: ${reasons.join("; ") || "its files did not match"}. ` +
        `Pass the complete PyLate model directory (as published on the hub), or export it to ONNX with pylate-onnx-export (next-plaid) and pass the exported directory.`,
    );
  }
  let files: string[] = [];
  try {
    files = await readdir(dir);
  } catch {
    files = [];
  }
  const needs = listLayouts()
    .map((l) => `${l.name}: ${[...l.hubFiles.markers, ...l.hubFiles.required.map((alts) => alts.join(" or "))].join(", ")}`)
    .join("; ");
  return new MaxsimError(
    "UNKNOWN_LAYOUT",
    `No known model layout in ${label} (found: ${files.slice(0, 20).join(", ") || "nothing"}). Layouts and their files: ${needs}. ` +
      `Export the model with pylate-onnx-export, or save it with PyLate and add an ONNX backbone under onnx/model.onnx.`,
  );
}

/**
 * Downloads what the model's layout needs into the cache and returns the snapshot directory.
 * Layout markers come first; the first layout whose markers and required files are all on the
 * hub wins, and its optional and discovered files follow.
 */
export async function downloadHubModel(id: string, options: HubOptions = {}): Promise<string> {
  const hub = new HubSnapshot(id, options);
  const layouts = listLayouts();
  const markerFiles = [...new Set([...layouts.flatMap((l) => l.hubFiles.markers), "config.json"])];
  const outcomes = new Map<string, string>();
  for (const file of markerFiles) outcomes.set(file, await hub.fetch(file));
  const unreachable = (file: string): boolean => outcomes.get(file) === "unreachable";
  const present = (file: string): boolean => outcomes.get(file) === "cached" || outcomes.get(file) === "downloaded";

  const missingForLayout = async (layout: ModelLayout): Promise<string[] | null> => {
    // null = this layout is not the one (a marker is absent on the hub).
    const missing: string[] = [];
    for (const marker of layout.hubFiles.markers) {
      if (unreachable(marker)) missing.push(marker);
      else if (!present(marker)) return null;
    }
    if (missing.length > 0) return [...missing, ...layout.hubFiles.required.map((alts) => alts.join(" or "))];
    for (const alternatives of layout.hubFiles.required) {
      let got = false;
      let offline = false;
      for (const file of alternatives) {
        const outcome = await hub.fetch(file);
        if (outcome === "cached" || outcome === "downloaded") {
          got = true;
          break;
        }
        if (outcome === "unreachable") offline = true;
      }
      if (!got && !offline) return null;
      if (!got) missing.push(alternatives.join(" or "));
    }
    if (missing.length > 0) return missing;
    for (const file of layout.hubFiles.optional) await hub.fetch(file);
    if (layout.hubFiles.discover) {
      for (const file of await layout.hubFiles.discover(hub.dir)) {
        const outcome = await hub.fetch(file);
        if (outcome === "unreachable") missing.push(file);
        else if (outcome === "absent")
          throw new MaxsimError("MODEL_NOT_FOUND", `${id} names ${file} but the hub does not have it. Check the repository's files.`);
      }
    }
    return missing;
  };

  if (markerFiles.every(unreachable)) {
    // Nothing is known about the repository: name every layout's files.
    throw hub.offlineError(
      layouts.map((l) => `${l.name} (${[...l.hubFiles.markers, ...l.hubFiles.required.map((alts) => alts.join(" or "))].join(", ")})`),
      "layouts",
    );
  }
  let offlineMissing: string[] | null = null;
  for (const layout of layouts) {
    const missing = await missingForLayout(layout);
    if (missing === null) continue;
    if (missing.length === 0) return hub.dir;
    offlineMissing ??= missing;
  }
  if (offlineMissing !== null) throw hub.offlineError(offlineMissing);
  if (markerFiles.every((f) => outcomes.get(f) === "absent") && !hub.offlineCause) {
    throw new MaxsimError("MODEL_NOT_FOUND", `The hub has no model ${id} (or none of its config files). Check the id and, for private models, set HF_TOKEN.`);
  }
  throw await noLayoutError(hub.dir, id);
}
