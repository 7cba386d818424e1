/**
 * Runs every `@example` of the encoder, model and encode/info CLI sources in one child process
 * (imports of `@maxsim/core` and `@maxsim/core/fixtures` point at the sources); every
 * `console.log(...); // expected` line must print the expected value (whitespace and quotes
 * ignored). Same habit as PyLate's `--doctest-modules`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = join(here, "..", "..", "src");
const files = [
  ...readdirSync(join(srcRoot, "encoder")).map((n) => join(srcRoot, "encoder", n)),
  ...["cache-dir.ts", "config.ts", "hub.ts", "load.ts", "safetensors.ts", "types.ts"].map((n) => join(srcRoot, "model", n)),
  ...["registry.ts", "pylate-onnx.ts", "sentence-transformers.ts"].map((n) => join(srcRoot, "model", "layouts", n)),
  join(srcRoot, "cli", "commands", "encode.ts"),
  join(srcRoot, "cli", "commands", "info.ts"),
].filter((f) => f.endsWith(".ts"));
const targets: Record<string, string> = {
  "@maxsim/core": pathToFileURL(join(srcRoot, "index.ts")).href,
  "@maxsim/core/fixtures": pathToFileURL(join(srcRoot, "fixtures", "index.ts")).href,
};

interface Example {
  where: string;
  code: string;
  expected: string[];
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.replace(/^\s*\* ?/, ""));
      const expected = body.filter((l) => /console\.log\(.*\/\/ /.test(l)).map((l) => l.slice(l.lastIndexOf("// ") + 3));
      found.push({ where: `${relative(srcRoot, file)}:${i + 1}`, code: body.join("\n"), expected });
      i = j;
    }
  }
  return found;
}

/** Static imports → dynamic ones, so each example runs in its own block scope. */
function runnable(code: string): string {
  return code.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => `const {${names}} = await import(${JSON.stringify(targets[from] ?? from)});`);
}

const normalise = (s: string): string => s.replace(/['"\s]/g, "");

const root = await mkdtemp(join(tmpdir(), "maxsim-encoder-examples-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("encoder and model TSDoc examples", () => {
  const all = examples();

  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
  });

  it("run and print what their comments say", async () => {
    const marker = "@@example@@";
    const script = [
      `import { inspect } from "node:util";`,
      `const show = (v) => typeof v === "string" ? v : inspect(v, { breakLength: Infinity, compact: true, depth: 5 });`,
      `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
      ...all.map((e, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${runnable(e.code)}\n}`),
    ].join("\n");
    const path = join(root, "examples.mts");
    await writeFile(path, script);
    const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", path], { cwd: join(here, "..", ".."), encoding: "utf8" });
    expect(run.stderr.replace(/.*W:onnxruntime.*\n?/g, "")).toBe("");
    expect(run.status).toBe(0);
    const outputs = run.stdout.split(marker).slice(1);
    all.forEach((e, n) => {
      const printed = (outputs[n] ?? "").split("\n").slice(1).filter((l) => l.length > 0);
      expect(printed.map(normalise), e.where).toEqual(e.expected.map(normalise));
    });
  });
});
