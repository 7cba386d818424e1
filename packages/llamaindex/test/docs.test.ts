// Runs every TSDoc @example of src/ and the README's <!-- doc-test --> blocks (the swap into an
// existing RetrieverQueryEngine and ContextChatEngine; the reranker over another retriever's
// nodes) as a user would, and checks what they print against their comments. The runner is shared
// with @maxsim/langchain: test/doc-snippets.ts at the repository root.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectSnippetsPrint, readmeSnippets, tsdocSnippets } from "../../../test/doc-snippets.js";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const tsdoc = tsdocSnippets(fileURLToPath(new URL("../src/", import.meta.url)));
const readme = readmeSnippets(fileURLToPath(new URL("../README.md", import.meta.url)));

describe("documentation code of @maxsim/llamaindex", () => {
  it("exists: an example for the public API, the README's swap into a query engine and a chat engine, and its reranker", () => {
    expect(tsdoc.length).toBeGreaterThanOrEqual(11);
    for (const s of tsdoc) expect(s.expected.length, s.where).toBeGreaterThan(0);
    expect(readme).toHaveLength(2);
    expect(readme[0]!.code).toMatch(/new RetrieverQueryEngine\(retriever\)[\s\S]*new ContextChatEngine\(\{ retriever/);
    expect(readme[0]!.expected).toHaveLength(3);
    expect(readme[1]!.code).toContain("reranker.postprocessNodes(candidates");
  });

  it("runs offline and prints what its comments say", async () => {
    const all = [...tsdoc, ...readme];
    await expectSnippetsPrint(all, pkg);
  });
});
