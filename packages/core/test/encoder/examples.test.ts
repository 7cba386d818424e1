// Runs every TSDoc @example of src/encoder and src/model (but for the LFM2 builder) and checks what
// each prints against its comments.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { outcomes, runSnippets, tsdocSnippets } from "../../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("../..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
const all = tsdocSnippets(
  src("encoder"),
  ...["cache-dir.ts", "config.ts", "hub.ts", "load.ts", "safetensors.ts", "types.ts"].map((n) => src(`model/${n}`)),
  ...["registry.ts", "pylate-onnx.ts", "sentence-transformers.ts"].map((n) => src(`model/layouts/${n}`)),
);

describe("encoder and model TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(11);
  });

  it("run and print what their comments say", async () => {
    const { printed, stderr } = await runSnippets(all, pkg);
    expect(stderr).toBe("");
    const { got, want } = outcomes(all, printed);
    expect(got).toEqual(want);
  });
});
