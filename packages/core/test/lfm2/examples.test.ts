// Runs every TSDoc @example of the LFM2 builder (src/model/lfm2/, the lfm2-checkpoint layout and the checkpoint generator) and checks what each prints against its comments.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, tsdocSnippets } from "../../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("../..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
const all = tsdocSnippets(
  src("model/lfm2"),
  src("model/layouts/lfm2-checkpoint.ts"),
  fileURLToPath(new URL("../../scripts/make-lfm2-checkpoint.ts", import.meta.url)),
);

describe("LFM2 TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.every((e) => e.expected.length > 0)).toBe(true);
  });

  it("run and print what their comments say", async () => {
    await expectSnippetsPrint(all, pkg);
  });
});
