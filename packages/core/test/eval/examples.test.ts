// Runs every TSDoc @example of src/eval and checks what each prints against its comments; the
// NanoBEIR and XQuAD loaders are left out: their examples read the hub and the XQuAD download.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, tsdocSnippets } from "../../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("../..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
const all = tsdocSnippets(src("eval")).filter((s) => !/loaders\/(nanobeir|xquad)\.ts:/.test(s.where));

describe("eval TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.every((e) => e.expected.length > 0)).toBe(true);
  });

  it("run and print what their comments say", async () => {
    await expectSnippetsPrint(all, pkg);
  });
});
