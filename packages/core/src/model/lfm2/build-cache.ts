/**
 * Turns an LFM2-ColBERT checkpoint directory into a cached ONNX model: read `config.json`, the
 * bf16 safetensors and `1_Dense/`, build the graph ({@link buildLfm2Graph}), and save it with
 * its weights as ONNX external data under the cache directory. The cache entry is keyed by the
 * checkpoint (hub revision when the directory is a hub snapshot, config, safetensors headers and
 * sampled weight bytes, Dense weights, pad id) plus {@link LFM2_BUILDER_VERSION} and the int8
 * flag, so a changed checkpoint or builder gets a fresh build. Entries are built in a temporary
 * directory and renamed into place, so readers never see a half-written model and two processes
 * building at once are harmless (the first rename wins).
 *
 * Storage: the large weights (MatMul matrices, embedding table) are stored as float16 and cast
 * to float32 inside the graph (onnxruntime folds the casts when it loads). bf16 → f16 is exact
 * for every weight of magnitude ≥ 2^-14 and off by < 3e-8 below, and it halves the cache entry.
 * Measured on the full-size random checkpoint (2 threads, warm page cache, loaded machine):
 * f32 storage 1.42 GB, session load 1.4–3.0 s; f16 storage 0.71 GB, load 1.4–2.5 s; outputs of
 * a 300-token document differ by at most 9e-7. Same speed, same memory once loaded, half the
 * disk (and half the bytes to read on a cold cache), so f16 it is; `weightDtype: "float32"` in
 * {@link buildLfm2Graph} keeps bit-exact f32 storage.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { MaxsimError } from "../../errors.js";
import { syncDir, writeFileAtomic } from "../../storage/atomic.js";
import { maxsimCacheRoot } from "../cache-dir.js";
import { exists, readJson } from "../config.js";
import { denseModulePaths, loadDense } from "../layouts/sentence-transformers.js";
import { LFM2_INT8_KERNELS, buildLfm2Graph, type Lfm2DenseHead, type Lfm2Int8Kernel, type Lfm2MatMulKind, type Lfm2WeightSource } from "./build-graph.js";
import { parseLfm2Config, type Lfm2Config } from "./config.js";
import { SafetensorsFile } from "../safetensors.js";

/** Bumped whenever the graph the builder emits changes; part of every cache key. */
export const LFM2_BUILDER_VERSION = "lfm2-graph-11";

/** Options for {@link ensureLfm2Onnx}. */
export interface EnsureLfm2OnnxOptions {
  /** Cache root. @defaultValue `$MAXSIM_CACHE_DIR` or `~/.cache/maxsim` */
  cacheDir?: string;
  /** Build the int8 variant (kernels per MatMul kind: {@link LFM2_INT8_KERNELS}). @defaultValue false */
  int8?: boolean;
  /** Override the int8 kernel of some MatMul kinds (benchmarks compare them); part of the cache key. */
  int8Kernels?: Partial<Record<Lfm2MatMulKind, Lfm2Int8Kernel>>;
  /** Progress messages (one line each). */
  onProgress?: (message: string) => void;
}

/** Where the built model is and whether it came from the cache. */
export interface Lfm2OnnxResult {
  path: string;
  cached: boolean;
  config: Lfm2Config;
  /** Output vector size (the Dense head's `out_features`). */
  dim: number;
}

/** The default cache root (`$MAXSIM_CACHE_DIR`, else `~/.cache/maxsim`; see `model/cache-dir.ts`). */
export function defaultCacheDir(): string {
  return maxsimCacheRoot();
}

const PREFIXES = ["", "model.", "lfm2."];

/** Opens `model.safetensors` (or sharded `model-*.safetensors` via the index) as a weight source. */
async function openWeights(dir: string): Promise<{ source: Lfm2WeightSource; files: SafetensorsFile[] }> {
  const files: SafetensorsFile[] = [];
  const indexFile = join(dir, "model.safetensors.index.json");
  if (await exists(join(dir, "model.safetensors"))) {
    files.push(await SafetensorsFile.open(join(dir, "model.safetensors")));
  } else if (await exists(indexFile)) {
    const index = await readJson(indexFile);
    const shards = [...new Set(Object.values((index.weight_map ?? {}) as Record<string, string>))].sort();
    for (const shard of shards) files.push(await SafetensorsFile.open(join(dir, shard)));
  } else {
    throw new MaxsimError("MODEL_NOT_FOUND", `${dir} has no model.safetensors. Re-download the model (LFM2 checkpoints ship their weights as safetensors).`);
  }
  const locate = (name: string): { file: SafetensorsFile; full: string } | undefined => {
    for (const prefix of PREFIXES) {
      for (const file of files) if (file.info(prefix + name) !== undefined) return { file, full: prefix + name };
    }
    return undefined;
  };
  return {
    files,
    source: {
      has: (name) => locate(name) !== undefined,
      async read(name) {
        const hit = locate(name);
        if (!hit) {
          throw new MaxsimError(
            "CHECKPOINT_INVALID",
            `The LFM2 checkpoint in ${dir} has no tensor "${name}" (also tried the "model." prefix). Re-download the model.`,
          );
        }
        return { data: await hit.file.read(hit.full), shape: hit.file.info(hit.full)!.shape };
      },
    },
  };
}

/**
 * The tokenizer's pad token id (`pad_token` of `tokenizer_config.json` looked up in
 * `tokenizer.json`), else `config.json`'s `pad_token_id`, else null.
 */
export async function lfm2PadTokenId(dir: string, fallback: number | null): Promise<number | null> {
  try {
    const tc = await readJson(join(dir, "tokenizer_config.json"));
    const pad =
      typeof tc.pad_token === "string"
        ? tc.pad_token
        : typeof tc.pad_token === "object" && tc.pad_token !== null
          ? (tc.pad_token as { content?: string }).content
          : undefined;
    if (pad !== undefined) {
      const tj = await readJson(join(dir, "tokenizer.json"));
      const added = (tj.added_tokens ?? []) as { id: number; content: string }[];
      const hit = added.find((t) => t.content === pad);
      if (hit) return hit.id;
      const vocab = ((tj.model ?? {}) as { vocab?: Record<string, number> }).vocab;
      if (vocab && typeof vocab[pad] === "number") return vocab[pad]!;
    }
  } catch {
    // fall through to config.json
  }
  return fallback;
}

async function sampleHash(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  // Hash the size plus 32 spread 64 KiB windows: cheap on a 700 MB file, and any re-save with
  // different weights changes them.
  const size = (await stat(path)).size;
  hash.update(`${path.split("/").pop()}:${size};`);
  const handle = await open(path, "r");
  try {
    const window = Math.min(65536, size);
    const buf = Buffer.alloc(window);
    const samples = 32;
    for (let i = 0; i < samples; i++) {
      const pos = Math.floor(((size - window) * i) / (samples - 1));
      await handle.read(buf, 0, window, pos);
      hash.update(buf);
    }
  } finally {
    await handle.close();
  }
}

/** The cache key of a checkpoint directory (hex). */
export async function lfm2CacheKey(
  dir: string,
  int8: boolean | Readonly<Record<Lfm2MatMulKind, Lfm2Int8Kernel>>,
  padTokenId: number | null,
  weightFiles: string[],
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`${LFM2_BUILDER_VERSION};int8=${typeof int8 === "boolean" ? int8 : JSON.stringify(Object.entries(int8).sort())};pad=${padTokenId};`);
  const revision = /snapshots[\\/]([0-9a-f]{40})/.exec(resolve(dir))?.[1];
  if (revision) hash.update(`rev=${revision};`);
  hash.update(await readFile(join(dir, "config.json")));
  for (const f of weightFiles) await sampleHash(hash, f);
  for (const p of await denseModulePaths(dir)) {
    const f = join(dir, p, "model.safetensors");
    if (await exists(f)) hash.update(await readFile(f));
  }
  return hash.digest("hex").slice(0, 32);
}

/**
 * Builds (or finds in the cache) the ONNX model of the LFM2-ColBERT checkpoint in `dir`.
 *
 * @throws `UNSUPPORTED_MODEL` (config fields the graph does not implement), `CHECKPOINT_INVALID`,
 * `CONFIG_MISSING`/`CONFIG_INVALID`, `IO_ERROR` (the cache directory is not writable).
 * @example
 * ```ts
 * import { makeLfm2Checkpoint } from "../../../scripts/make-lfm2-checkpoint.js";
 * import { ensureLfm2Onnx } from "./build-cache.js";
 * const { dir } = await makeLfm2Checkpoint("lfm2-tiny"); // random tiny checkpoint in the hub layout
 * const first = await ensureLfm2Onnx(dir, { cacheDir: "cache" });
 * const again = await ensureLfm2Onnx(dir, { cacheDir: "cache" });
 * console.log(first.cached, again.cached, again.path === first.path, first.dim); // false true true 128
 * ```
 */
export async function ensureLfm2Onnx(dir: string, options: EnsureLfm2OnnxOptions = {}): Promise<Lfm2OnnxResult> {
  const progress = options.onProgress ?? (() => {});
  const int8 = options.int8 ?? false;
  const config = parseLfm2Config(await readJson(join(dir, "config.json")));
  const denseDirs = await denseModulePaths(dir);
  if (denseDirs.length !== 1) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `modules.json in ${dir} lists ${denseDirs.length} Dense modules; an LFM2-ColBERT checkpoint has exactly one (1_Dense). Re-download the model.`,
    );
  }
  const dense = await loadDense(join(dir, denseDirs[0]!));
  const padTokenId = await lfm2PadTokenId(dir, config.padTokenId);
  const { source, files } = await openWeights(dir);
  try {
    const kernels = int8 ? { ...LFM2_INT8_KERNELS, ...options.int8Kernels } : null;
    const key = await lfm2CacheKey(
      dir,
      kernels ?? false,
      padTokenId,
      files.map((f) => f.path),
    );
    const root = join(options.cacheDir ?? defaultCacheDir(), "lfm2-onnx");
    const entry = join(root, key);
    const modelPath = join(entry, "model.onnx");
    if ((await exists(join(entry, "build.json"))) && (await exists(modelPath))) {
      progress(`LFM2: using the cached ONNX graph ${modelPath}`);
      return { path: modelPath, cached: true, config, dim: dense.outFeatures };
    }
    progress(`LFM2: building the ONNX graph of ${dir} (${config.variant}, ${config.numHiddenLayers} layers${int8 ? ", int8" : ""}) into ${entry}`);
    const t0 = Date.now();
    const head: Lfm2DenseHead = { weight: dense.weight, bias: dense.bias, inFeatures: dense.inFeatures, outFeatures: dense.outFeatures };
    const graph = await buildLfm2Graph(config, source, head, {
      padTokenId,
      int8,
      int8Kernels: kernels ?? undefined,
      weightDtype: "float16",
      onProgress: progress,
    });
    const tmp = `${entry}.tmp-${process.pid}-${Date.now()}`;
    try {
      await mkdir(tmp, { recursive: true });
      progress("LFM2: writing the graph and its weights");
      await graph.save(join(tmp, "model.onnx"));
      // graph.save fsyncs the model files; build.json (the marker a cache hit checks) is written
      // after them, also durably, and the rename is made durable by syncing the cache root.
      await writeFileAtomic(
        join(tmp, "build.json"),
        Buffer.from(
          `${JSON.stringify({ builder: LFM2_BUILDER_VERSION, source: resolve(dir), int8, int8Kernels: kernels, padTokenId, builtAt: new Date().toISOString() }, null, 2)}\n`,
        ),
      );
      try {
        await rename(tmp, entry);
        await syncDir(root);
      } catch (error) {
        // Another process finished the same build first: keep theirs.
        if (!(await exists(join(entry, "build.json")))) throw error;
        await rm(tmp, { recursive: true, force: true });
      }
    } catch (cause) {
      await rm(tmp, { recursive: true, force: true });
      throw new MaxsimError(
        "IO_ERROR",
        `Cannot write the built LFM2 graph under ${root}: ${(cause as Error).message}. Pass a writable cacheDir or set MAXSIM_CACHE_DIR.`,
        { cause },
      );
    }
    progress(`LFM2: graph built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { path: modelPath, cached: false, config, dim: dense.outFeatures };
  } finally {
    for (const f of files) await f.close();
  }
}
