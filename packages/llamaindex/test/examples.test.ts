// Runs every TSDoc @example in src/ and checks that each `console.log(...); // expected` line prints
// what its comment says (doctest-style, as PyLate runs --doctest-modules). All examples run in one
// child process, each after a marker line so its output can be told apart.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PKG = join(import.meta.dirname, "..");
const SRC = join(PKG, "src");

interface Example {
  where: string;
  code: string;
  expected: string[];
}

async function collect(): Promise<Example[]> {
  const out: Example[] = [];
  for (const file of (await readdir(SRC)).filter((f) => f.endsWith(".ts")).sort()) {
    const text = await readFile(join(SRC, file), "utf8");
    const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const lines = (m[1] ?? "").split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
      const expected = lines.flatMap((l) => {
        const c = /console\.log\(.*\);\s*\/\/ (.+)$/.exec(l);
        return c?.[1] ? [c[1]] : [];
      });
      out.push({ where: `${file}:${text.slice(0, m.index).split("\n").length}`, code: lines.join("\n"), expected });
    }
  }
  return out;
}

let examples: Example[] = [];
let outputs: string[][] = [];
let work: string;

beforeAll(async () => {
  examples = await collect();
  work = await mkdtemp(join(tmpdir(), "maxsim-llamaindex-examples-"));
  const body = examples
    .map((ex, i) => {
      // Static imports become dynamic ones so that each example lives in its own block.
      const code = ex.code.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_, names: string, from: string) => `const {${names}} = await import("${from}");`);
      return `console.log("@@example ${i}");\n{\n${code}\n}`;
    })
    .join("\n");
  const script = join(PKG, `.examples-${process.pid}.ts`);
  await writeFile(script, body);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=source", "--import", "tsx", script], {
      cwd: PKG,
      env: { ...process.env, TMPDIR: work },
    });
    outputs = stdout.split(/^@@example \d+\n/m).slice(1).map((s) => s.split("\n").filter((l) => l.length > 0));
  } finally {
    await rm(script, { force: true });
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("TSDoc examples of @maxsim/llamaindex", () => {
  it("exist for the public API", () => {
    expect(examples.length).toBeGreaterThanOrEqual(11);
    for (const ex of examples) expect(ex.expected.length, ex.where).toBeGreaterThan(0);
  });

  it("print what their comments say", () => {
    expect(outputs).toHaveLength(examples.length);
    examples.forEach((ex, i) => expect(outputs[i], ex.where).toEqual(ex.expected));
  });
});
