// One copy of each host framework must resolve in the workspace: two copies of @langchain/core or
// @llamaindex/core break `instanceof` checks inside the hosts (and LlamaIndex warns "already
// imported"). pnpm stores every resolved version as its own folder under node_modules/.pnpm.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const store = fileURLToPath(new URL("../node_modules/.pnpm/", import.meta.url));
const versionsOf = (name: string) =>
  readdirSync(store).filter((entry) => entry.startsWith(`${name.replace("/", "+")}@`));

describe("workspace dependency graph", () => {
  it.each(["@langchain/core", "@llamaindex/core", "onnxruntime-node"])("resolves exactly one copy of %s", (name) => {
    expect(versionsOf(name)).toHaveLength(1);
  });
});
