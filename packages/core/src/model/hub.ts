/**
 * Hub downloads. Files land in the cache layout of @huggingface/transformers' file cache
 * (`<cacheDir>/<owner>/<name>/<file>` for the main revision, `<cacheDir>/<owner>/<name>/<revision>/<file>`
 * otherwise), so a cached snapshot is an ordinary model directory that the layouts read directly
 * and that transformers.js itself reuses. The default cache directory is maxsim's own
 * (`defaultHubCacheDir`: transformers.js' default lives inside its package, which pnpm reinstalls
 * lose). The URL template, remote host, an application-set `env.cacheDir` and the
 * `allowRemoteModels` switch are read from transformers.js' `env`, and
 * `HF_TOKEN` (or `token`) authorises private repositories, as in transformers.js' hub helpers.
 * transformers.js does not export its file fetcher, so the fetch itself lives here.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { dirname, join } from "node:path";
import { env } from "@huggingface/transformers";
import { MaxsimError } from "../errors.js";
import { defaultHubCacheDir } from "./cache-dir.js";
import { exists } from "./config.js";

/** Options for hub downloads. */
export interface HubOptions {
  /**
   * Cache directory.
   * @defaultValue transformers.js `env.cacheDir` when the application set it, else `$MAXSIM_CACHE_DIR/hub` or `~/.cache/maxsim/hub` (see `cache-dir.ts`)
   */
  cacheDir?: string;
  /** Branch, tag or commit. @defaultValue "main" */
  revision?: string;
  /** Never touch the network; use cached files only. @defaultValue false */
  localFilesOnly?: boolean;
  /** Access token. @defaultValue `process.env.HF_TOKEN` */
  token?: string;
  /** Progress messages (one per downloaded file). */
  onProgress?: (message: string) => void;
}

/** Result of fetching one file. */
export type FetchOutcome = "cached" | "downloaded" | "absent" | "unreachable";

/** True when `value` looks like a hub id (`owner/name` or `name`) rather than a path. */
export function isHubId(value: string): boolean {
  if (value.startsWith(".") || value.startsWith("/") || value.startsWith("~") || value.includes("\\")) return false;
  return /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(value);
}

/** A hub model's local snapshot directory and a fetcher for its files. */
export class HubSnapshot {
  readonly dir: string;
  private unreachable: unknown = null;

  constructor(
    readonly id: string,
    private readonly options: HubOptions,
  ) {
    const cacheDir = options.cacheDir ?? defaultHubCacheDir();
    const revision = options.revision ?? "main";
    this.dir = revision === "main" ? join(cacheDir, id) : join(cacheDir, id, revision);
  }

  /** The network error that made the hub unreachable, if one happened. */
  get offlineCause(): unknown {
    return this.unreachable;
  }

  /** Whether remote downloads are allowed at all. */
  get remoteAllowed(): boolean {
    return this.options.localFilesOnly !== true && env.allowRemoteModels !== false;
  }

  /** Makes `file` present in the snapshot when it exists on the hub. */
  async fetch(file: string): Promise<FetchOutcome> {
    const target = join(this.dir, file);
    if (await exists(target)) return "cached";
    if (!this.remoteAllowed || this.unreachable !== null) return "unreachable";
    const revision = encodeURIComponent(this.options.revision ?? "main");
    const host = env.remoteHost.endsWith("/") ? env.remoteHost : `${env.remoteHost}/`;
    const path = env.remotePathTemplate.replaceAll("{model}", this.id).replaceAll("{revision}", revision);
    const url = `${host}${path}${path.endsWith("/") ? "" : "/"}${file}`;
    const headers: Record<string, string> = {};
    const token = this.options.token ?? process.env.HF_TOKEN ?? process.env.HF_ACCESS_TOKEN;
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    // Time out waiting for the response headers only; a large body may take longer.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no response from ${url} within 30 s`)), 30_000);
    try {
      response = await fetch(url, { headers, signal: controller.signal });
    } catch (cause) {
      this.unreachable = cause;
      return "unreachable";
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 404) return "absent";
    if (response.status === 401 || response.status === 403) {
      throw new MaxsimError(
        "MODEL_NOT_FOUND",
        `The hub refused ${this.id}/${file} (HTTP ${response.status}). Check the model id, and set HF_TOKEN (or the token option) for private or gated models.`,
      );
    }
    if (!response.ok) {
      this.unreachable = new Error(`HTTP ${response.status} for ${url}`);
      return "unreachable";
    }
    this.options.onProgress?.(`downloading ${this.id}/${file}`);
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (cause) {
      await response.body?.cancel();
      throw new MaxsimError(
        "IO_ERROR",
        `Cannot create the hub cache folder ${dirname(target)} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}). Set MAXSIM_CACHE_DIR or pass cacheDir to a writable folder.`,
        { cause },
      );
    }
    // Stream to a temp file and rename, so a multi-GB checkpoint never sits in memory and an
    // interrupted download never leaves a truncated file under the final name.
    const tmp = `${target}.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      if (response.body === null) await writeFile(tmp, new Uint8Array(await response.arrayBuffer()));
      else {
        const counter = byteProgress(`${this.id}/${file}`, Number(response.headers.get("content-length") ?? Number.NaN), this.options.onProgress);
        await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>), counter, createWriteStream(tmp));
      }
      await rename(tmp, target);
    } catch (cause) {
      await rm(tmp, { force: true });
      this.unreachable = cause;
      return "unreachable";
    }
    return "downloaded";
  }

  /** The HUB_OFFLINE error for files that could not be fetched. */
  offlineError(missing: string[], kind: "files" | "layouts" = "files"): MaxsimError {
    const why = !this.remoteAllowed
      ? "remote downloads are disabled (localFilesOnly or transformers.js env.allowRemoteModels = false)"
      : `the hub (${env.remoteHost}) is unreachable`;
    return new MaxsimError(
      "HUB_OFFLINE",
      `Cannot load ${this.id}: ${why}, and the cache ${this.dir} ${kind === "files" ? `is missing ${missing.join(", ")}` : `has the files of no model layout: ${missing.join("; ")}`}. ` +
        `Download the model on a connected machine (e.g. \`huggingface-cli download ${this.id} --local-dir DIR\`) and pass that directory as the model, or copy the files into ${this.dir}.`,
      { cause: this.unreachable ?? undefined },
    );
  }
}

const MB = 1024 * 1024;

/**
 * A pass-through that reports a large download's progress: every 10% when the size is known
 * (files of 8 MB and more; small config files stay silent), else every 64 MB. A multi-GB
 * checkpoint otherwise shows one "downloading" line and then nothing for minutes.
 */
function byteProgress(label: string, total: number, onProgress: ((message: string) => void) | undefined): Transform {
  const known = Number.isFinite(total) && total > 0;
  let done = 0;
  let step = 1;
  // Integer thresholds, so the last one is exactly `total` and 100% is always reported.
  const threshold = (): number => (known ? (total >= 8 * MB ? Math.ceil((total * step) / 10) : Number.POSITIVE_INFINITY) : 64 * MB * step);
  let next = threshold();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      if (onProgress !== undefined && done >= next) {
        onProgress(
          known
            ? `downloading ${label}: ${Math.floor((done / total) * 100)}% (${(done / MB).toFixed(0)} of ${(total / MB).toFixed(0)} MB)`
            : `downloading ${label}: ${(done / MB).toFixed(0)} MB`,
        );
        while (next <= done) {
          step++;
          next = threshold();
        }
      }
      callback(null, chunk);
    },
  });
}
