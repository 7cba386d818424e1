// Runs every TSDoc @example of the top-level sources (src/*.ts: the errors) and src/onnx and checks
// what each prints against its comments.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, tsdocSnippets } from "../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../src/${path}`, import.meta.url));
const all = tsdocSnippets(...["errors.ts", "index.ts", "types.ts", "version.ts"].map(src), src("onnx"));

describe("errors and onnx TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.every((e) => e.expected.length > 0)).toBe(true);
  });

  it("run and print what their comments say", async () => {
    await expectSnippetsPrint(all, pkg);
  });
});
