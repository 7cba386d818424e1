/**
 * One runner for the documentation code of the wrapper packages (PyLate's `--doctest-modules`
 * habit): the `@example` blocks of their TSDoc and the README blocks marked `<!-- doc-test -->`.
 * `packages/langchain/test/docs.test.ts` and `packages/llamaindex/test/docs.test.ts` use it.
 *
 * Every snippet runs in one child process per package (tsx, `--conditions=source`, the script
 * written inside the package so that `@maxsim/<pkg>` resolves like a user's import), each in its
 * own block scope, with cwd and TMPDIR in a fresh temp dir (snippets may write "./my-index").
 * A snippet states its output as comments: `console.log(x); // expected`, or a `// expected` line
 * right after a `console.log(...)` line that has none. Printed and expected lines are compared
 * ignoring whitespace and quotes (`console.log` prints one compact line per call).
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** A runnable piece of documentation and the output its comments promise. */
export interface Snippet {
  /** `file:line` of the opening fence. */
  where: string;
  code: string;
  expected: string[];
}

/** The output lines a snippet's comments promise (see the module header). */
function expectedOutput(lines: string[]): string[] {
  const out: string[] = [];
  lines.forEach((line, i) => {
    const trailing = /console\.log\(.*\);?\s*\/\/ (.+)$/.exec(line);
    if (trailing) out.push(trailing[1]!);
    else if (/^\s*console\.log\(/.test(line) && lines[i + 1]?.startsWith("// ")) out.push(lines[i + 1]!.slice(3));
  });
  return out;
}

/** Every ```ts block inside a TSDoc comment of `srcDir/*.ts`, in file then line order. */
export function tsdocSnippets(srcDir: string): Snippet[] {
  const found: Snippet[] = [];
  for (const name of readdirSync(srcDir).filter((n) => n.endsWith(".ts")).sort()) {
    const lines = readFileSync(join(srcDir, name), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.replace(/^\s*\* ?/, ""));
      found.push({ where: `${name}:${i + 1}`, code: body.join("\n"), expected: expectedOutput(body) });
      i = j;
    }
  }
  return found;
}

/** The ```ts blocks of a README that follow a `<!-- doc-test -->` line. */
export function readmeSnippets(readme: string): Snippet[] {
  const lines = readFileSync(readme, "utf8").split("\n");
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "<!-- doc-test -->") continue;
    if (lines[i + 1]?.trim() !== "```ts") throw new Error(`README.md:${i + 1}: <!-- doc-test --> must be followed by a \`\`\`ts fence`);
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim() !== "```"; j++) body.push(lines[j]!);
    found.push({ where: `README.md:${i + 2}`, code: body.join("\n"), expected: expectedOutput(body) });
    i = j;
  }
  return found;
}

/** Static imports → dynamic ones (type-only imports dropped), so a snippet runs in a block scope. */
function inBlock(code: string): string {
  return code
    .replace(/^import type \{[^}]*\} from "[^"]+";$/gm, "")
    .replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => {
      const bindings = names.replace(/\btype\s+\w+\s*,?/g, "").replace(/\s+as\s+/g, ": ");
      return `const {${bindings}} = await import(${JSON.stringify(from)});`;
    });
}

/** Whitespace and quotes do not count when comparing printed and expected lines. */
export const normalise = (s: string): string => s.replace(/['"\s]/g, "");

/**
 * Runs `snippets` in one child process with `packageDir` as the module base.
 *
 * @returns the lines each snippet printed, in order
 */
export async function runSnippets(snippets: Snippet[], packageDir: string): Promise<string[][]> {
  const marker = "@@snippet@@";
  const source = [
    `import { inspect } from "node:util";`,
    `const show = (v) => (typeof v === "string" ? v : inspect(v, { breakLength: Infinity, compact: true, depth: 6 }));`,
    `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
    ...snippets.map((s, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${inBlock(s.code)}\n}`),
  ].join("\n");
  const work = await mkdtemp(join(tmpdir(), "maxsim-doc-snippets-"));
  const script = join(packageDir, `.doc-snippets-${process.pid}-${Date.now()}.mts`);
  try {
    await writeFile(script, source);
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, "--conditions=source", script], {
      cwd: work,
      env: { ...process.env, TMPDIR: work },
      timeout: 180_000,
      maxBuffer: 16 << 20,
    });
    return stdout
      .split(marker)
      .slice(1)
      .map((chunk) => chunk.split("\n").slice(1).filter((l) => l.length > 0));
  } finally {
    await rm(script, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}
