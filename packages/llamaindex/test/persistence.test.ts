// Persistence across processes: one process builds the collection in a directory, this one reopens
// it with fromExistingIndex and must see the same nodes and scores.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { Document } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxSimRetriever } from "../src/index.js";

let dir: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maxsim-llamaindex-"));
  model = (await ensureFixtures()).multilingual;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("persistence", () => {
  it("a directory written by another process reopens with fromExistingIndex, same results, and takes inserts and deletes", async () => {
    const query = "the cat sleeps on the bed";
    const indexDir = join(dir, "index");
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "--conditions=@maxsim/source", fileURLToPath(new URL("./build-index.child.ts", import.meta.url)), indexDir, model, query],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        encoding: "utf8",
      },
    );
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const written = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { id: string; ref: string; score: number; metadata: unknown }[];
    expect(written[0]!.ref).toBe("p-cat");

    const retriever = await MaxSimRetriever.fromExistingIndex(indexDir, { similarityTopK: 3 });
    try {
      const results = await retriever.retrieve({ query });
      expect(results.map((r) => ({ id: r.node.id_, ref: r.node.sourceNode?.nodeId, score: r.score, metadata: r.node.metadata }))).toEqual(written);
      // The writer holds the lock: a second writer is refused, a reader is welcome.
      await expect(MaxSimRetriever.fromExistingIndex(indexDir)).rejects.toMatchObject({ code: "INDEX_LOCKED" });
      const reader = await MaxSimRetriever.fromExistingIndex(indexDir, { readOnly: true, similarityTopK: 1 });
      expect((await reader.retrieve({ query }))[0]!.node.id_).toBe(written[0]!.id);
      await reader.collection.close();
      await retriever.insert([new Document({ id_: "p-bird", text: "Der Vogel singt", metadata: { lang: "de" } })]);
      expect(await retriever.deleteRefDoc("p-cat")).toBe(1);
    } finally {
      await retriever.collection.close();
    }
    const again = await MaxSimRetriever.fromExistingIndex(indexDir, { similarityTopK: 1 });
    try {
      expect((await again.retrieve({ query: "bird sings" }))[0]!.node.sourceNode?.nodeId).toBe("p-bird");
      expect((await again.retrieve({ query }))[0]!.node.sourceNode?.nodeId).not.toBe("p-cat");
      expect(again.collection.size).toBe(3);
    } finally {
      await again.collection.close();
    }
  });
});
