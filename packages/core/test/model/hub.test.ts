/**
 * Hub downloads against a local HTTP server that speaks the hub's `resolve/<revision>/<file>`
 * URLs: files land in the transformers.js cache layout, load offline afterwards, and an
 * unreachable hub or a cold cache with `localFilesOnly` gives HUB_OFFLINE naming the files.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import { HubSnapshot } from "../../src/model/hub.js";
import { defaultHubCacheDir, isTransformersDefaultCacheDir, maxsimCacheRoot } from "../../src/model/cache-dir.js";
import { writeWordPieceTokenizer } from "../../src/fixtures/tokenizers.js";
import { writeProbeOnnxDir } from "../encoder/probe-model.js";

let root: string;
let server: Server;
let port: number;
const requests: { url: string; auth: string | undefined }[] = [];
const repos = new Map<string, string>(); // "owner/name" → directory
const savedHost = env.remoteHost;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-hub-"));
  const probe = join(root, "repo-probe");
  const tok = await writeWordPieceTokenizer(probe, { vocab: ["cat"] });
  await writeProbeOnnxDir(probe, { query_prefix_id: tok.prefixIds[0], document_prefix_id: tok.prefixIds[1], query_length: 6 });
  repos.set("acme/probe", probe);
  const lfm2 = join(root, "repo-lfm2");
  await mkdir(lfm2);
  await writeFile(join(lfm2, "config.json"), JSON.stringify({ model_type: "lfm2" }));
  repos.set("acme/lfm2", lfm2);
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", auth: req.headers.authorization });
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? "");
    const dir = m ? repos.get(m[1]!) : undefined;
    if (!m || !dir) {
      res.writeHead(404).end();
      return;
    }
    const file = join(dir, decodeURIComponent(m[3]!));
    stat(file).then(
      (s) => {
        res.writeHead(200, { "content-length": s.size });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  env.remoteHost = `http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  env.remoteHost = savedHost;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

async function error(promise: Promise<unknown>): Promise<MaxsimError> {
  const e = await promise.then(
    () => null,
    (x: unknown) => x,
  );
  if (!MaxsimError.isInstance(e)) throw new Error(`expected a MaxsimError, got ${String(e)}`);
  return e;
}

describe("hub ids", () => {
  it("downloads into the transformers.js cache layout, sends the token, then loads offline from the cache", async () => {
    const cacheDir = join(root, "cache-a");
    const model = await ColBERT.fromPretrained("acme/probe", { cacheDir, token: "secret" });
    expect(model.modelId).toBe("acme/probe");
    expect(model.info.layout).toBe("pylate-onnx");
    expect(model.info.dir).toBe(join(cacheDir, "acme/probe"));
    const [q] = await model.encodeQueries(["cat"]);
    expect(q!.length).toBe(6);
    await model.dispose();
    expect(requests.some((r) => r.url === "/acme/probe/resolve/main/model.onnx" && r.auth === "Bearer secret")).toBe(true);
    await stat(join(cacheDir, "acme/probe/tokenizer.json"));

    const before = requests.length;
    const again = await ColBERT.fromPretrained("acme/probe", { cacheDir, localFilesOnly: true });
    expect(requests.length).toBe(before); // nothing fetched
    await again.dispose();
  });

  it("puts a non-main revision in the URL and in the cache path", async () => {
    const cacheDir = join(root, "cache-rev");
    const model = await ColBERT.fromPretrained("acme/probe", { cacheDir, revision: "v1.0" });
    expect(model.info.dir).toBe(join(cacheDir, "acme/probe", "v1.0"));
    expect(requests.some((r) => r.url === "/acme/probe/resolve/v1.0/onnx_config.json")).toBe(true);
    await model.dispose();
  });

  it("HUB_OFFLINE with localFilesOnly and a cold cache, naming the missing files and the local-directory fix", async () => {
    const e = await error(ColBERT.fromPretrained("acme/probe", { cacheDir: join(root, "cold"), localFilesOnly: true }));
    expect(e.code).toBe("HUB_OFFLINE");
    expect(e.message).toContain("onnx_config.json");
    expect(e.message).toContain("--local-dir");
  });

  it("HUB_OFFLINE when transformers.js env.allowRemoteModels is false", async () => {
    env.allowRemoteModels = false;
    try {
      const before = requests.length;
      const e = await error(ColBERT.fromPretrained("acme/probe", { cacheDir: join(root, "cold-env") }));
      expect(e.code).toBe("HUB_OFFLINE");
      expect(e.message).toContain("allowRemoteModels");
      expect(requests.length).toBe(before);
    } finally {
      env.allowRemoteModels = true;
    }
  });

  it("HUB_OFFLINE when the hub is unreachable", async () => {
    env.remoteHost = "http://127.0.0.1:9/";
    try {
      const e = await error(ColBERT.fromPretrained("acme/probe", { cacheDir: join(root, "cold2") }));
      expect(e.code).toBe("HUB_OFFLINE");
      expect(e.message).toContain("unreachable");
    } finally {
      env.remoteHost = `http://127.0.0.1:${port}/`;
    }
  });

  it("HUB_OFFLINE lists the model files when only the configs are cached", async () => {
    const cacheDir = join(root, "partial");
    await mkdir(join(cacheDir, "acme/probe"), { recursive: true });
    await writeFile(join(cacheDir, "acme/probe/onnx_config.json"), "{}");
    const e = await error(ColBERT.fromPretrained("acme/probe", { cacheDir, localFilesOnly: true }));
    expect(e.code).toBe("HUB_OFFLINE");
    expect(e.message).toContain("model.onnx");
    expect(e.message).toContain("tokenizer.json");
  });

  it("UNSUPPORTED_MODEL naming what is missing for a hub LFM2 checkpoint without ONNX, MODEL_NOT_FOUND for an unknown repo", async () => {
    const e = await error(ColBERT.fromPretrained("acme/lfm2", { cacheDir: join(root, "cache-lfm2") }));
    expect(e.code).toBe("UNSUPPORTED_MODEL");
    expect(e.message).toMatch(/the lfm2-checkpoint layout cannot load it: it lacks /);
    expect(e.message).not.toMatch(/#\d|issue/i);
    const missing = await error(ColBERT.fromPretrained("acme/missing", { cacheDir: join(root, "cache-missing") }));
    expect(missing.code).toBe("MODEL_NOT_FOUND");
  });
});

describe("download progress", () => {
  it("reports a large file every 10% with sizes, and stays quiet for small files", async () => {
    const big = join(root, "repo-big");
    await mkdir(big);
    const bytes = new Uint8Array(9 * 1024 * 1024).map((_, i) => i % 251);
    await writeFile(join(big, "weights.bin"), bytes);
    await writeFile(join(big, "small.json"), "{}");
    repos.set("acme/big", big);
    const messages: string[] = [];
    const hub = new HubSnapshot("acme/big", { cacheDir: join(root, "cache-big"), onProgress: (m) => messages.push(m) });
    expect(await hub.fetch("small.json")).toBe("downloaded");
    expect(messages).toEqual(["downloading acme/big/small.json"]);
    messages.length = 0;
    expect(await hub.fetch("weights.bin")).toBe("downloaded");
    expect(messages[0]).toBe("downloading acme/big/weights.bin");
    const percents = messages.slice(1).map((m) => Number(/: (\d+)% \(\d+ of 9 MB\)$/.exec(m)?.[1]));
    expect(percents.length).toBeGreaterThanOrEqual(5);
    expect(percents.every((p, i) => Number.isFinite(p) && (i === 0 || p > percents[i - 1]!))).toBe(true);
    expect(percents[percents.length - 1]).toBe(100);
    // Buffer.equals, not toEqual: vitest's element-wise deep equality takes ~40 s on 9 M bytes.
    expect((await readFile(join(root, "cache-big", "acme/big", "weights.bin"))).equals(Buffer.from(bytes.buffer))).toBe(true);
  });
});

describe("unwritable cache", () => {
  it("IO_ERROR naming the folder and how to pick another (not a bare ENOTDIR)", async () => {
    const blocker = join(root, "a-file");
    await writeFile(blocker, "not a folder");
    const e = await error(ColBERT.fromPretrained("acme/probe", { cacheDir: join(blocker, "cache") }));
    expect(e.code).toBe("IO_ERROR");
    expect(e.message).toContain(join(blocker, "cache", "acme/probe"));
    expect(e.message).toContain("MAXSIM_CACHE_DIR");
  });
});

describe("default cache directory", () => {
  it("is $MAXSIM_CACHE_DIR/hub (not transformers.js' in-package .cache); an application-set env.cacheDir and the cacheDir option win", async () => {
    const savedEnvDir = env.cacheDir;
    const savedVar = process.env.MAXSIM_CACHE_DIR;
    // What transformers.js sets by default: inside its own package, lost when pnpm reinstalls it.
    expect(isTransformersDefaultCacheDir(savedEnvDir ?? "")).toBe(true);
    process.env.MAXSIM_CACHE_DIR = join(root, "maxsim-cache");
    try {
      const model = await ColBERT.fromPretrained("acme/probe");
      expect(model.info.dir).toBe(join(root, "maxsim-cache", "hub", "acme/probe"));
      await stat(join(root, "maxsim-cache", "hub", "acme/probe", "onnx_config.json"));
      await model.dispose();
      delete process.env.MAXSIM_CACHE_DIR;
      expect(maxsimCacheRoot()).toBe(join(homedir(), ".cache", "maxsim"));
      expect(defaultHubCacheDir()).toBe(join(homedir(), ".cache", "maxsim", "hub"));
      env.cacheDir = join(root, "app-set");
      expect(defaultHubCacheDir()).toBe(join(root, "app-set"));
      const explicit = await ColBERT.fromPretrained("acme/probe", { cacheDir: join(root, "option") });
      expect(explicit.info.dir).toBe(join(root, "option", "acme/probe"));
      await explicit.dispose();
    } finally {
      env.cacheDir = savedEnvDir;
      if (savedVar === undefined) delete process.env.MAXSIM_CACHE_DIR;
      else process.env.MAXSIM_CACHE_DIR = savedVar;
    }
  });
});
