// Runs every TSDoc @example of src/serve and checks what each prints against its comments.
// Runner shared by every package: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, tsdocSnippets } from "../../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("../..", import.meta.url));
const src = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
const all = tsdocSnippets(src("serve"));

describe("serve TSDoc examples", () => {
  it("exist for the public API", () => {
    expect(all.length).toBeGreaterThanOrEqual(1);
  });

  it("run and print what their comments say", async () => {
    await expectSnippetsPrint(all, pkg);
  });
});
