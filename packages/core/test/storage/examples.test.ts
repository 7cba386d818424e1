/**
 * Runs every `@example` of the storage sources, the way PyLate runs `--doctest-modules`: each
 * example runs in a child process (imports of `@maxsim/core` point at the storage sources), and
 * every `console.log(...); // expected` line must print the expected value (compared ignoring
 * whitespace, quotes and typed-array lengths).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "..", "..", "src", "storage");
const entry = pathToFileURL(join(src, "index.ts")).href;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

interface Example {
  where: string;
  code: string;
  expected: string[];
}

/** The ```ts blocks inside TSDoc comments. */
function examples(): Example[] {
  const found: Example[] = [];
  for (const file of sources(src)) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.replace(/^\s*\* ?/, ""));
      const expected = body.filter((l) => /console\.log\(.*\/\/ /.test(l)).map((l) => l.slice(l.lastIndexOf("// ") + 3));
      found.push({ where: `${relative(src, file)}:${i + 1}`, code: body.join("\n"), expected });
      i = j;
    }
  }
  return found;
}

/** Turns static imports into dynamic ones so each example runs inside its own scope. */
function runnable(code: string): string {
  return code.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => {
    const target = from === "@maxsim/core" ? entry : from;
    return `const {${names}} = await import(${JSON.stringify(target)});`;
  });
}

const normalise = (s: string) => s.replace(/(Array|Buffer)\(\d+\)/g, "$1").replace(/['"\s]/g, "");

const root = await mkdtemp(join(tmpdir(), "maxsim-examples-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("storage TSDoc examples", () => {
  const all = examples();

  it("exist for the public storage API", () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
  });

  it("run and print what their comments say", async () => {
    // One child process for all of them (start-up dominates); each example in its own block.
    const marker = "@@example@@";
    const script = [
      `import { inspect } from "node:util";`,
      `const show = (v) => typeof v === "string" ? v : inspect(v, { breakLength: Infinity, depth: 5 });`,
      `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
      ...all.map((e, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${runnable(e.code)}\n}`),
    ].join("\n");
    const path = join(root, "examples.mts");
    await writeFile(path, script);
    const run = spawnSync(process.execPath, ["--import", "tsx", path], { cwd: join(here, "..", ".."), encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const outputs = run.stdout.split(new RegExp(`${marker}\\d+\\n`)).slice(1);
    expect(outputs).toHaveLength(all.length);
    all.forEach((example, n) => {
      const printed = outputs[n]!.split("\n").filter((l) => l.length > 0);
      expect(printed.map(normalise), example.where).toEqual(example.expected.map(normalise));
    });
  });
});
