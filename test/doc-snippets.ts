/**
 * One runner for the documentation code of every package (PyLate's `--doctest-modules` habit):
 * the `@example` blocks of the TSDoc and the README blocks marked `<!-- doc-test -->`. The
 * `examples.test.ts` files of `packages/core/test/*` and the `docs.test.ts` files of the wrapper
 * packages use it.
 *
 * Every snippet runs in one child process per test file (tsx, `--conditions=@maxsim/source`, the script
 * written inside the package so that `@maxsim/<pkg>` resolves like a user's import), each in its
 * own block scope, with cwd and TMPDIR in a fresh temp dir (snippets may write "./my-index"); the
 * generated fixture models stay in the shared fixture cache. Relative imports resolve against the
 * snippet's own source file. A snippet states its output as comments: `console.log(x); // expected`,
 * or `// expected` lines (one per printed line) right after a `console.log(...)` line that has
 * none. `console.log` prints one compact line per call.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { expect } from "vitest";
import { defaultFixturesDir } from "../packages/core/src/fixtures/ensure.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** A runnable piece of documentation and the output its comments promise. */
export interface Snippet {
  /** `path:line` of the opening fence, the path relative to the repository root. */
  where: string;
  /** The file the snippet was read from (its relative imports resolve against it). */
  file: string;
  code: string;
  expected: string[];
}

/** The output lines a snippet's comments promise (see the module header). */
function expectedOutput(lines: string[]): string[] {
  const out: string[] = [];
  lines.forEach((line, i) => {
    const trailing = /console\.log\(.*\);?\s*\/\/ (.+)$/.exec(line);
    if (trailing) out.push(trailing[1]!);
    else if (/^\s*console\.log\(/.test(line)) for (let j = i + 1; lines[j]?.startsWith("// "); j++) out.push(lines[j]!.slice(3));
  });
  return out;
}

/** `.ts` files of `path` (itself if a file; a folder's recursively), sorted. */
function sourceFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith(".ts") ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => sourceFiles(join(path, name)));
}

/** Every ```ts block inside a TSDoc comment of the `.ts` files in `paths` (files or folders), in path then line order. */
export function tsdocSnippets(...paths: string[]): Snippet[] {
  const found: Snippet[] = [];
  for (const file of paths.flatMap(sourceFiles)) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.replace(/^\s*\* ?/, ""));
      found.push({ where: `${relative(repoRoot, file)}:${i + 1}`, file, code: body.join("\n"), expected: expectedOutput(body) });
      i = j;
    }
  }
  return found;
}

/** The ```ts blocks of a README that follow a `<!-- doc-test -->` line. */
export function readmeSnippets(readme: string): Snippet[] {
  const lines = readFileSync(readme, "utf8").split("\n");
  const where = relative(repoRoot, readme);
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "<!-- doc-test -->") continue;
    if (lines[i + 1]?.trim() !== "```ts") throw new Error(`${where}:${i + 1}: <!-- doc-test --> must be followed by a \`\`\`ts fence`);
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim() !== "```"; j++) body.push(lines[j]!);
    found.push({ where: `${where}:${i + 2}`, file: readme, code: body.join("\n"), expected: expectedOutput(body) });
    i = j;
  }
  return found;
}

/** Static imports → dynamic ones (type-only imports dropped), so a snippet runs in a block scope. */
function inBlock({ code, file }: Snippet): string {
  return code.replace(/^import type \{[^}]*\} from "[^"]+";$/gm, "").replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_m, names: string, from: string) => {
    const bindings = names.replace(/\btype\s+\w+\s*,?/g, "").replace(/\s+as\s+/g, ": ");
    const target = from.startsWith(".") ? pathToFileURL(resolve(dirname(file), from.replace(/\.js$/, ".ts"))).href : from;
    return `const {${bindings}} = await import(${JSON.stringify(target)});`;
  });
}

/** Whitespace and quotes do not count when comparing printed and expected lines. */
export const normalise = (s: string): string => s.replace(/['"\s]/g, "");

/** What a run of snippets printed. */
export interface SnippetRun {
  /** The lines each snippet printed, in order. */
  printed: string[][];
  /** The child's stderr without onnxruntime's own warning lines (`W:onnxruntime`). */
  stderr: string;
}

/** Runs `snippets` in one child process with `packageDir` as the module base. */
export async function runSnippets(snippets: Snippet[], packageDir: string): Promise<SnippetRun> {
  const marker = "@@snippet@@";
  const source = [
    `import { inspect } from "node:util";`,
    `const show = (v) => (typeof v === "string" ? v : inspect(v, { breakLength: Infinity, compact: true, depth: 6 }));`,
    `console.log = (...args) => process.stdout.write(args.map(show).join(" ") + "\\n");`,
    ...snippets.map((s, n) => `process.stdout.write(${JSON.stringify(`${marker}${n}\n`)});\n{\n${inBlock(s)}\n}`),
  ].join("\n");
  const work = await mkdtemp(join(tmpdir(), "maxsim-doc-snippets-"));
  const script = join(packageDir, `.doc-snippets-${process.pid}-${Date.now()}.mts`);
  try {
    await writeFile(script, source);
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, "--conditions=@maxsim/source", script], {
      cwd: work,
      // TMPDIR moves into the temp dir; the fixture models (several MB each) are generated once.
      env: { ...process.env, TMPDIR: work, MAXSIM_FIXTURES_DIR: defaultFixturesDir() },
      timeout: 180_000,
      maxBuffer: 16 << 20,
    });
    return {
      printed: stdout
        .split(marker)
        .slice(1)
        .map((chunk) =>
          chunk
            .split("\n")
            .slice(1)
            .filter((l) => l.length > 0),
        ),
      stderr: stderr.replace(/.*W:onnxruntime.*\n?/g, ""),
    };
  } finally {
    await rm(script, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/** One snippet's place and its output lines, as compared by {@link outcomes}. */
export interface Outcome {
  where: string;
  printed: string[];
}

/**
 * What `snippets` printed and what their comments promise, side by side, for one `toEqual` that
 * names every snippet that differs. `compare` maps each line first (default: {@link normalise}).
 */
export function outcomes(snippets: Snippet[], printed: string[][], compare: (line: string) => string = normalise): { got: Outcome[]; want: Outcome[] } {
  return {
    got: printed.map((lines, n) => ({ where: snippets[n]?.where ?? `extra output ${n}`, printed: lines.map(compare) })),
    want: snippets.map((s) => ({ where: s.where, printed: s.expected.map(compare) })),
  };
}

/**
 * The assertion every documentation test makes: `snippets` run in one child process with nothing
 * on stderr, and each prints exactly what its comments promise (lines mapped by `compare` first).
 */
export async function expectSnippetsPrint(snippets: Snippet[], packageDir: string, compare?: (line: string) => string): Promise<void> {
  const { printed, stderr } = await runSnippets(snippets, packageDir);
  expect(stderr).toBe("");
  const { got, want } = outcomes(snippets, printed, compare);
  expect(got).toEqual(want);
}
