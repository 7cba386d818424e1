// Runs every TSDoc @example of src/ and the README's <!-- doc-test --> blocks as a user would, and
// checks what they print against their comments (runner: test/doc-snippets.ts at the repo root).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, readmeSnippets, tsdocSnippets } from "../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const tsdoc = tsdocSnippets(fileURLToPath(new URL("../src/", import.meta.url)));
const readme = readmeSnippets(fileURLToPath(new URL("../README.md", import.meta.url)));

describe("documentation code of @maxsim/lancedb", () => {
  it("exists: an example for the public API, the README's quick start and its retriever swap", () => {
    expect(tsdoc.length).toBeGreaterThanOrEqual(8);
    for (const s of tsdoc) expect(s.expected.length, s.where).toBeGreaterThan(0);
    expect(readme).toHaveLength(2);
    expect(readme[1]!.code).toContain("engine");
  });

  it("runs offline and prints what its comments say", async () => {
    await expectSnippetsPrint([...tsdoc, ...readme], pkg);
  });
});
