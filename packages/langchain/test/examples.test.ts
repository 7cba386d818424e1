// Runs every TSDoc `@example` of src/ (PyLate's --doctest-modules habit): all examples in one child
// process, each in its own block scope, with cwd in a temp dir (examples may write "./my-index").
// Every `console.log(...); // expected` line must print the expected value (compared ignoring
// whitespace and quotes). Imports resolve like a user's: @maxsim/langchain by its package name.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const srcRoot = fileURLToPath(new URL("../src/", import.meta.url));

interface Example {
  where: string;
  code: string;
  expected: string[];
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const name of readdirSync(srcRoot).filter((n) => n.endsWith(".ts"))) {
    const lines = readFileSync(join(srcRoot, name), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.replace(/^\s*\* ?/, ""));
      const expected = body.filter((l) => /^console\.log\(.*\/\/ /.test(l)).map((l) => l.slice(l.lastIndexOf("// ") + 3));
      found.push({ where: `${relative(srcRoot, join(srcRoot, name))}:${i + 1}`, code: body.join("\n"), expected });
      i = j;
    }
  }
  return found;
}

/** Static imports → dynamic ones, so each example runs in its own block scope. */
const runnable = (code: string) =>
  code.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => `const {${names}} = await import(${JSON.stringify(from)});`);

const normalise = (s: string) => s.replace(/['"\s]/g, "");

let cwd: string;
let script: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "maxsim-langchain-examples-"));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
  if (script !== undefined) await rm(script, { force: true });
});

describe("TSDoc examples", () => {
  const all = examples();

  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.every((e) => e.expected.length > 0)).toBe(true);
  });

  it("run and print what their comments say", async () => {
    const marker = "@@example@@";
    const source = [
      `import { inspect } from "node:util";`,
      `const show = (v) => typeof v === "string" ? v : inspect(v, { breakLength: Infinity, compact: true, depth: 5 });`,
      `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
      ...all.map((e, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${runnable(e.code)}\n}`),
    ].join("\n");
    // Inside the package so that "@maxsim/langchain" resolves through the workspace like a user's import.
    script = fileURLToPath(new URL(`./.examples-${process.pid}.mts`, import.meta.url));
    await writeFile(script, source);
    const { stdout } = await run(process.execPath, [tsxCli, "--conditions=source", script], { cwd, timeout: 120_000 });
    const outputs = stdout.split(marker).slice(1);
    expect(outputs).toHaveLength(all.length);
    all.forEach((e, n) => {
      const printed = outputs[n]!.split("\n").slice(1).filter((l) => l.length > 0);
      expect({ where: e.where, printed: printed.map(normalise) }).toEqual({ where: e.where, printed: e.expected.map(normalise) });
    });
  });
});
