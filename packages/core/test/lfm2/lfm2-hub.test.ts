import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLfm2Checkpoint } from "../../scripts/make-lfm2-checkpoint.js";
import { ColBERT } from "../../src/encoder/colbert.js";

// A local stand-in for the hub serving a tiny checkpoint under the real repository id.
let root: string;
let server: Server;
const savedHost = env.remoteHost;
const served: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-lfm2-hub-"));
  const repo = (await makeLfm2Checkpoint(join(root, "repo"))).dir;
  server = createServer((req, res) => {
    const m = /^\/LiquidAI\/LFM2-ColBERT-350M\/resolve\/[^/]+\/(.+)$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    const file = join(repo, decodeURIComponent(m[1]!));
    stat(file).then(
      (s) => {
        served.push(m[1]!);
        res.writeHead(200, { "content-length": s.size });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  env.remoteHost = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(async () => {
  env.remoteHost = savedHost;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

describe("ColBERT.fromPretrained('LiquidAI/LFM2-ColBERT-350M') from a hub", () => {
  it("downloads the checkpoint files, builds the graph with progress lines, then loads from the cache", async () => {
    const cacheDir = join(root, "cache");
    const progress: string[] = [];
    const model = await ColBERT.fromPretrained("LiquidAI/LFM2-ColBERT-350M", { cacheDir, onProgress: (m: string) => progress.push(m) });
    expect(model.info.layout).toBe("lfm2-checkpoint");
    expect(served).toEqual(expect.arrayContaining(["model.safetensors", "1_Dense/model.safetensors", "1_Dense/config.json", "tokenizer.json"]));
    expect(progress.some((m) => m.startsWith("LFM2: building"))).toBe(true);
    const [q] = await model.encodeQueries(["where is paris"]);
    expect(q!.length).toBe(32);
    await model.dispose();

    const again: string[] = [];
    const cached = await ColBERT.fromPretrained("LiquidAI/LFM2-ColBERT-350M", { cacheDir, localFilesOnly: true, onProgress: (m: string) => again.push(m) });
    expect(again.some((m) => m.startsWith("LFM2: using the cached ONNX graph"))).toBe(true);
    const [q2] = await cached.encodeQueries(["where is paris"]);
    expect(Array.from(q2!.data)).toEqual(Array.from(q!.data));
    await cached.dispose();
  });
});
