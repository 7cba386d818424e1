// Runs the README's runnable snippet (its first ```ts block) as a user would, in a child process,
// and checks each `// expected` comment line against what the preceding console.log printed.
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

describe("README", () => {
  it("the one-line-swap snippet runs offline and prints what its comments say", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const expected = snippet
      .split("\n")
      .map((line, i, all) => (all[i - 1]?.startsWith("console.log(") && line.startsWith("// ") ? line.slice(3) : undefined))
      .filter((line): line is string => line !== undefined);
    expect(expected.length).toBeGreaterThan(1);
    // Inside the package so that "@maxsim/langchain" resolves through the workspace like a user's import.
    const file = fileURLToPath(new URL(`./.readme-snippet-${process.pid}.ts`, import.meta.url));
    await writeFile(file, snippet);
    try {
      const { stdout } = await run(process.execPath, [tsxCli, "--conditions=source", file], { timeout: 120_000 });
      expect(stdout.trimEnd().split("\n")).toEqual(expected);
    } finally {
      await rm(file, { force: true });
    }
  });
});
