// Runs every TSDoc @example of src/ and the README's <!-- doc-test --> blocks (the one-line swap
// into an existing LCEL chain, the reranker in ContextualCompressionRetriever) as a user would,
// and checks what they print against their comments.
// The runner is shared with @maxsim/llamaindex: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, readmeSnippets, tsdocSnippets } from "../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const tsdoc = tsdocSnippets(fileURLToPath(new URL("../src/", import.meta.url)));
const readme = readmeSnippets(fileURLToPath(new URL("../README.md", import.meta.url)));

describe("documentation code of @maxsim/langchain", () => {
  it("exists: an example for the public API, the README's swap into a chain and its reranker", () => {
    expect(tsdoc.length).toBeGreaterThanOrEqual(8);
    for (const s of tsdoc) expect(s.expected.length, s.where).toBeGreaterThan(0);
    expect(readme).toHaveLength(2);
    expect(readme[0]!.code).toContain("RunnableSequence.from");
    expect(readme[0]!.expected.length).toBeGreaterThan(1);
    expect(readme[1]!.code).toContain("new ContextualCompressionRetriever({ baseCompressor: reranker");
  });

  it("runs offline and prints what its comments say", async () => {
    const all = [...tsdoc, ...readme];
    await expectSnippetsPrint(all, pkg);
  });
});
