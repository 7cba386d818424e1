/**
 * Where maxsim keeps downloaded and built files. transformers.js' own default `env.cacheDir` is
 * `.cache` inside its installed package: with pnpm that is inside the content-addressed store
 * path of one exact version, so a reinstall or an upgrade silently throws the (multi-GB) hub
 * cache away. maxsim therefore uses one root of its own, the same the LFM2 graph builder uses:
 * `$MAXSIM_CACHE_DIR`, else `~/.cache/maxsim`; hub snapshots go to `<root>/hub`, built LFM2
 * graphs to `<root>/lfm2-onnx`, downloaded datasets to `<root>/datasets`. An `env.cacheDir`
 * that the application set itself is still honoured, and a `cacheDir` option beats both.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";

/**
 * The cache root: `$MAXSIM_CACHE_DIR` when set (and not empty), else `~/.cache/maxsim`.
 *
 * @example
 * ```ts
 * import { maxsimCacheRoot } from "@maxsim/core";
 * process.env.MAXSIM_CACHE_DIR = "/srv/maxsim-cache";
 * console.log(maxsimCacheRoot()); // /srv/maxsim-cache
 * delete process.env.MAXSIM_CACHE_DIR;
 * ```
 */
export function maxsimCacheRoot(): string {
  const configured = process.env.MAXSIM_CACHE_DIR;
  return configured !== undefined && configured !== "" ? configured : join(homedir(), ".cache", "maxsim");
}

/** True for transformers.js' built-in default (`<its package dir>/.cache/`), which a reinstall loses. */
export function isTransformersDefaultCacheDir(dir: string): boolean {
  return /[\\/]@huggingface[\\/]transformers[\\/]\.cache[\\/]?$/.test(dir);
}

/**
 * The hub cache directory used when no `cacheDir` option is given: transformers.js' `env.cacheDir`
 * when the application changed it, else `<maxsimCacheRoot()>/hub`.
 *
 * @example
 * ```ts
 * import { defaultHubCacheDir } from "@maxsim/core";
 * process.env.MAXSIM_CACHE_DIR = "/srv/maxsim-cache";
 * console.log(defaultHubCacheDir()); // /srv/maxsim-cache/hub
 * delete process.env.MAXSIM_CACHE_DIR;
 * ```
 */
export function defaultHubCacheDir(): string {
  const configured = env.cacheDir;
  if (typeof configured === "string" && configured !== "" && !isTransformersDefaultCacheDir(configured)) return configured;
  return join(maxsimCacheRoot(), "hub");
}
