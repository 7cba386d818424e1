// One copy each of the host frameworks and of the native runtime must be installed: two copies of
// @langchain/core or @llamaindex/core break `instanceof` checks inside the hosts (LlamaIndex also
// warns "already imported"), and two onnxruntime-node builds would load two native runtimes into
// one process. pnpm installs one folder per entry of the lockfile's `snapshots:` section (a peer
// variant such as `@langchain/core@1.4.0(openai@…)` is a folder of its own), so counting the
// entries there counts the copies a fresh install gets. This covers the monorepo; the npm, pnpm and
// yarn installs users get are checked on disk by the consumer test (test/consumer/run.mjs).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const lock = readFileSync(fileURLToPath(new URL("../pnpm-lock.yaml", import.meta.url)), "utf8");
const snapshots = lock.slice(lock.indexOf("\nsnapshots:\n"));

function copiesOf(name: string): string[] {
  const keys = snapshots
    .split("\n")
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => line.trim().replace(/^'|':?$|:$/g, ""));
  return keys.filter((key) => key.startsWith(`${name}@`));
}

describe("workspace dependency graph", () => {
  it("has a snapshots section to count", () => {
    expect(snapshots.length).toBeGreaterThan(100);
  });

  // @lancedb/lancedb ≥ 0.31 would add @huggingface/transformers@3.0.2 (and its onnxruntime-node)
  // as optional dependencies; @maxsim/lancedb pins 0.30.0, which has none. apache-arrow is
  // LanceDB's peer: one copy, or LanceDB refuses the other copy's tables.
  it.each(["@langchain/core", "@llamaindex/core", "onnxruntime-node", "@huggingface/transformers", "apache-arrow", "@lancedb/lancedb"])(
    "installs exactly one copy of %s",
    (name) => {
      expect(copiesOf(name)).toHaveLength(1);
    },
  );

  it("pins onnxruntime-node to the exact version @huggingface/transformers pins", () => {
    const transformers = /\n {2}'@huggingface\/transformers@[^\n]*\n((?: {4}.*\n)+)/.exec(snapshots)?.[1] ?? "";
    const pinned = /onnxruntime-node: (\S+)/.exec(transformers)?.[1];
    expect(pinned).toBeDefined();
    expect(copiesOf("onnxruntime-node")).toEqual([`onnxruntime-node@${pinned}`]);
  });
});
