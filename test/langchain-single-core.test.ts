// Exactly one @langchain/core must be loaded by everything that talks to LangChain: our wrapper,
// the example, and the LangChain packages used with it (@langchain/classic's
// ContextualCompressionRetriever, @langchain/openai's ChatOpenAI). Two copies break the hosts'
// `instanceof` checks (a retriever from one copy is not a Runnable to the other).
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const fromDir = (dir: string) => createRequire(join(dir, "package.json"));
const coreFrom = (dir: string) => realpathSync(fromDir(dir).resolve("@langchain/core/package.json"));
const packageDir = (dir: string, name: string) => dirname(realpathSync(fromDir(dir).resolve(`${name}/package.json`)));

describe("@langchain/core resolution", () => {
  it("resolves to one folder from @maxsim/langchain, the example, the tests and LangChain's own packages", () => {
    const langchain = join(root, "packages/langchain");
    const example = join(root, "examples/langchain-multilingual-rag");
    const importers = {
      "@maxsim/langchain": langchain,
      "examples/langchain-multilingual-rag": example,
      "test/": join(root, "test"),
      "@langchain/classic": packageDir(langchain, "@langchain/classic"),
      "@langchain/openai": packageDir(example, "@langchain/openai"),
    };
    const resolved = Object.fromEntries(Object.entries(importers).map(([name, dir]) => [name, coreFrom(dir)]));
    expect(new Set(Object.values(resolved)).size, JSON.stringify(resolved, null, 2)).toBe(1);
  });

  it("@maxsim/langchain declares @langchain/core as a caret peer, never a workspace pin", () => {
    const manifest = fromDir(join(root, "packages/langchain"))("./package.json") as {
      peerDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    expect(manifest.peerDependencies?.["@langchain/core"]).toMatch(/^\^1\./);
    expect(manifest.dependencies?.["@langchain/core"]).toBeUndefined();
    expect(Object.values(manifest.dependencies ?? {}).filter((v) => v === "workspace:*")).toEqual([]);
  });
});
