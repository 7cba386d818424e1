// Runs every TSDoc @example of src/encoder and src/model (but for the LFM2 builder) and checks what
// each prints against its comments.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, tsdocSnippets } from "../../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("../..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
// The LFM2 builder's examples run in test/lfm2.
const all = tsdocSnippets(src("encoder"), src("model")).filter((s) => !/model\/(lfm2\/|layouts\/lfm2-checkpoint\.ts)/.test(s.where));

describe("encoder and model TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(17);
  });

  it("run and print what their comments say", async () => {
    await expectSnippetsPrint(all, pkg);
  });
});
