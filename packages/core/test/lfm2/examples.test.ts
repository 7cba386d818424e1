/**
 * Runs every `@example` of the LFM2 builder (`src/model/lfm2/`, the lfm2-checkpoint layout and
 * the checkpoint generator) in one child process, in a temp working directory; relative imports
 * resolve against the example's own source file. Every `console.log(...); // expected` line must
 * print the expected value (whitespace and quotes ignored).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..");
const files = [
  ...readdirSync(join(pkg, "src", "model", "lfm2")).map((n) => join(pkg, "src", "model", "lfm2", n)),
  join(pkg, "src", "model", "layouts", "lfm2-checkpoint.ts"),
  join(pkg, "scripts", "make-lfm2-checkpoint.ts"),
].filter((f) => f.endsWith(".ts"));

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
      const code = body
        .join("\n")
        .replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => {
          const target = from.startsWith(".") ? pathToFileURL(resolve(dirname(file), from.replace(/\.js$/, ".ts"))).href : from;
          return `const {${names}} = await import(${JSON.stringify(target)});`;
        });
      found.push({ where: `${relative(pkg, file)}:${i + 1}`, code, expected });
      i = j;
    }
  }
  return found;
}

const normalise = (s: string): string => s.replace(/['"\s]/g, "");
const root = await mkdtemp(join(tmpdir(), "maxsim-lfm2-examples-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("LFM2 TSDoc examples", () => {
  const all = examples();

  it("exist for every exported builder function", () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.every((e) => e.expected.length > 0)).toBe(true);
  });

  it("run and print what their comments say", async () => {
    const marker = "@@example@@";
    const script = [
      `import { inspect } from "node:util";`,
      // tsx resolves from the package (the spawn's cwd); the examples then write under the temp dir.
      `process.chdir(${JSON.stringify(root)});`,
      `const show = (v) => typeof v === "string" ? v : inspect(v, { breakLength: Infinity, compact: true, depth: 5 });`,
      `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
      ...all.map((e, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${e.code}\n}`),
    ].join("\n");
    const path = join(root, "examples.mts");
    await writeFile(path, script);
    const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", path], { cwd: pkg, encoding: "utf8" });
    expect(run.stderr.replace(/.*W:onnxruntime.*\n?/g, "")).toBe("");
    expect(run.status).toBe(0);
    const outputs = run.stdout.split(marker).slice(1);
    all.forEach((e, n) => {
      const printed = (outputs[n] ?? "").split("\n").slice(1).filter((l) => l.length > 0);
      expect(printed.map(normalise), e.where).toEqual(e.expected.map(normalise));
    });
  });
});
