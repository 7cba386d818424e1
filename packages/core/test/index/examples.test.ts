// Runs every TSDoc @example in src/scoring and src/index (one child process, one tsx start-up)
// and checks each `console.log(...); // expected` comment against the printed line.
import { execFile } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const PKG = join(import.meta.dirname, "..", "..");
const DIRS = ["scoring", "index"];

interface Example {
  where: string;
  code: string;
  expected: string[];
}

let examples: Example[] = [];
let outputs: string[][] = [];

beforeAll(async () => {
  for (const dir of DIRS) {
    for (const file of (await readdir(join(PKG, "src", dir))).filter((f) => f.endsWith(".ts")).sort()) {
      const text = await readFile(join(PKG, "src", dir, file), "utf8");
      const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const lines = (m[1] ?? "").split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
        const expected = lines.flatMap((l) => /console\.log\(.*\);\s*\/\/ (.+)$/.exec(l)?.[1] ?? []);
        examples.push({ where: `${dir}/${file}:${text.slice(0, m.index).split("\n").length}`, code: lines.join("\n"), expected });
      }
    }
  }
  const body = examples
    .map((ex, i) => {
      const code = ex.code.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_, names: string, from: string) => `const {${names}} = await import("${from}");`);
      return `console.log("@@example ${i}");\n{\n${code}\n}`;
    })
    .join("\n");
  const script = join(PKG, `.index-examples-${process.pid}.ts`);
  await writeFile(script, body);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=source", "--import", "tsx", script], { cwd: PKG });
    outputs = stdout.split(/^@@example \d+\n/m).slice(1).map((s) => s.split("\n").filter((l) => l.length > 0));
  } finally {
    await rm(script, { force: true });
  }
});

describe("TSDoc examples of scoring/ and index/", () => {
  it("exist for the public entry points", () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  it("print what their comments say", () => {
    expect(outputs).toHaveLength(examples.length);
    examples.forEach((ex, i) => {
      const got = outputs[i] ?? [];
      expect(got, ex.where).toHaveLength(ex.expected.length);
      ex.expected.forEach((want, j) => {
        const line = got[j] ?? "";
        // a comment is the printed text, optionally followed by prose
        expect(want === line || want.startsWith(`${line} `), `${ex.where}: printed ${line}, comment says ${want}`).toBe(true);
      });
    });
  });
});
