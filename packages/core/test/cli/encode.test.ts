/** `maxsim encode` and `maxsim info --model`, run as real child processes. */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLfm2Checkpoint } from "../../scripts/make-lfm2-checkpoint.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { DEFAULT_QUERY_LENGTH, ensureFixtures, type FixturePaths } from "../../src/fixtures/index.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const main = join(pkg, "src", "cli", "main.ts");
let fx: FixturePaths;
let tmp: string;

function run(args: string[], stdin?: string, env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@maxsim/source", main, ...args], {
      cwd: pkg,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

beforeAll(async () => {
  fx = await ensureFixtures();
  tmp = await mkdtemp(join(tmpdir(), "maxsim-cli-encode-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("maxsim encode", () => {
  it("writes one JSON line per input line with index, shape and the library's vectors", async () => {
    const texts = ["The cat sleeps.", "a dog", "rain in the morning over the river"];
    const file = join(tmp, "docs.txt");
    await writeFile(file, `${texts.join("\n")}\n`);
    const { code, stdout, stderr } = await run(["encode", "--model", fx.lexical, "--as", "document", "--input", file, "--batch-size", "2"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { index: number; shape: [number, number]; data: number[] });
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2]);
    const model = await ColBERT.fromPretrained(fx.lexical);
    const expected = await model.encodeDocuments(texts);
    await model.dispose();
    lines.forEach((l, i) => {
      expect(l.shape).toEqual([expected[i]!.length, expected[i]!.dim]);
      expect(l.data).toHaveLength(l.shape[0] * l.shape[1]);
      l.data.forEach((v, k) => expect(Math.abs(v - expected[i]!.data[k]!)).toBeLessThan(1e-6));
    });
  });

  it("resolves relative paths where `pnpm maxsim` was typed (pnpm runs the root script from the root, with INIT_CWD)", async () => {
    await writeFile(join(tmp, "relative.txt"), "The cat sleeps.\n");
    const viaPnpm = await run(["encode", "--model", fx.lexical, "--as", "document", "--input", "relative.txt"], undefined, {
      npm_lifecycle_event: "maxsim",
      INIT_CWD: tmp,
    });
    expect(viaPnpm.stderr).toBe("");
    expect(viaPnpm.code).toBe(0);
    expect(JSON.parse(viaPnpm.stdout.trim()).index).toBe(0);
    // Without pnpm's variables the process's own working directory counts (here the package).
    const plain = await run(["encode", "--model", fx.lexical, "--as", "document", "--input", "relative.txt"], undefined, {
      npm_lifecycle_event: "",
      INIT_CWD: "",
    });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^maxsim: IO_ERROR: Cannot read relative\.txt/);
  });

  it("reads standard input and pads queries to the query length", async () => {
    const { code, stdout } = await run(["encode", "--model", fx.lexical, "--as", "query"], "cats\ndogs\n");
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { shape: [number, number] });
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.shape[0]).toBe(DEFAULT_QUERY_LENGTH);
  });

  it("fails with one line naming the code for a bad --as and an empty input", async () => {
    const bad = await run(["encode", "--model", fx.lexical, "--as", "passage"], "x\n");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^maxsim: INVALID_OPTION: /);
    const empty = await run(["encode", "--model", fx.lexical, "--as", "query"], "");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("EMPTY_INPUT");
  });
});

describe("maxsim info", () => {
  it("shows model build progress on stderr (an LFM2 checkpoint's graph is built once) and keeps stdout JSON", async () => {
    const ckpt = join(tmp, "LFM2-ColBERT-tiny");
    await makeLfm2Checkpoint(ckpt);
    const cache = join(tmp, "cache");
    const first = await run(["info", "--model", ckpt], undefined, { MAXSIM_CACHE_DIR: cache });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).layout).toBe("lfm2-checkpoint");
    expect(first.stderr).toMatch(/^ {2}LFM2: building the ONNX graph of /m);
    expect(first.stderr).toMatch(/^ {2}LFM2: graph built in /m);
    const again = await run(["info", "--model", ckpt], undefined, { MAXSIM_CACHE_DIR: cache });
    expect(again.stderr).toMatch(/^ {2}LFM2: using the cached ONNX graph /m);
  });

  it("prints the resolved configuration as JSON", async () => {
    const { code, stdout } = await run(["info", "--model", fx.lfm2Style]);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(info.layout).toBe("pylate-onnx");
    expect(info.expansionToken).toBe("<|im_end|>");
    expect(info.inputs).toEqual(["input_ids", "attention_mask"]);
    expect(typeof info.dim).toBe("number");
    expect(info).toHaveProperty("queryPrefix");
    expect(info).toHaveProperty("queryLength");
  });
});
