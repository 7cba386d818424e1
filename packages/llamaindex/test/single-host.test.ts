// Exactly one @llamaindex/core in the workspace: two copies break LlamaIndex's instanceof checks
// (and it warns "already imported"). Resolve it from every package that can reach it and check that
// all resolve to the same file, and that the pnpm store holds one version.
import { readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Resolves `@llamaindex/core/schema` as seen from inside package `from` (resolved from `base`). */
function coreFrom(base: string, from: string): string {
  const entry = realpathSync(createRequire(base).resolve(from));
  return realpathSync(createRequire(entry).resolve("@llamaindex/core/schema"));
}

describe("one @llamaindex/core", () => {
  it("the pnpm store holds one version of @llamaindex/core", () => {
    const versions = readdirSync(`${root}node_modules/.pnpm`).filter((e) => e.startsWith("@llamaindex+core@"));
    expect(versions).toHaveLength(1);
  });

  it("llamaindex (from this package and the example) and @llamaindex/openai resolve the same copy", () => {
    const here = fileURLToPath(import.meta.url);
    const example = `${root}examples/llamaindex-multilingual-rag/package.json`;
    const copies = new Set([coreFrom(here, "llamaindex"), coreFrom(example, "llamaindex"), coreFrom(example, "@llamaindex/openai")]);
    expect(copies.size).toBe(1);
  });
});
