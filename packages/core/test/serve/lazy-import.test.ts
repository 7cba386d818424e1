/**
 * `import "@maxsim/core"` (and every CLI verb but `serve`) must not load the HTTP server: walks the
 * static import graph of the root entry and of the CLI and checks that neither reaches `src/serve/`
 * or a Hono package (the `serve` verb reaches them through a dynamic `import()` only).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../src");

/** Files and bare packages statically imported from `entry`, transitively (type-only imports skipped). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm)) {
      if (m[1] !== undefined) continue;
      const spec = m[2]!;
      if (spec.startsWith(".")) todo.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe("the server is loaded lazily", () => {
  it.each([
    ["the root entry", "index.ts"],
    ["the CLI", "cli/main.ts"],
  ])("%s does not statically import src/serve or Hono", (_name, entry) => {
    const { files, packages } = staticGraph(path.join(SRC, entry));
    expect(files.size).toBeGreaterThan(5);
    expect([...files].filter((f) => f.startsWith(path.join(SRC, "serve")))).toEqual([]);
    expect([...packages].filter((p) => /^(hono|@hono\/)/.test(p))).toEqual([]);
  });

  it("the serve verb reaches the server through import()", () => {
    expect(readFileSync(path.join(SRC, "cli/commands/serve.ts"), "utf8")).toContain('await import("../../serve/server.js")');
  });
});
