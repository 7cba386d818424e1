// fromDocuments(..., { directory }) then fromExistingIndex(directory) in a new process.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Document } from "@langchain/core/documents";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAXSIM_SCORE_KEY, MaxSimRetriever } from "../src/index.js";
import { FR_DE_DOCS } from "./corpus.js";

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const helper = fileURLToPath(new URL("./helpers/query-index.ts", import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maxsim-langchain-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Row {
  id: string;
  pageContent: string;
  metadata: Record<string, unknown>;
  score: number;
}

async function queryInNewProcess(directory: string, queries: string[]): Promise<Row[][]> {
  const { stdout } = await run(process.execPath, [tsxCli, "--conditions=@maxsim/source", helper, directory, ...queries]);
  return (JSON.parse(stdout) as { results: Row[][] }).results;
}

describe("persistence", () => {
  it("a new process reopening the directory sees the same results, with addDocuments and delete applied", async () => {
    const { multilingual } = await ensureFixtures();
    const index = join(dir, "index");
    const queries = ["the black cat sleeps in the house", "el pájaro canta en el árbol", "el perro bebe agua en el jardín"];
    const retriever = await MaxSimRetriever.fromDocuments(FR_DE_DOCS, { model: multilingual, directory: index, k: 3 });
    let expected: Row[][];
    try {
      await retriever.addDocuments([new Document({ pageContent: "Der Vogel singt im Baum.", metadata: { lang: "de" } })], { ids: ["de-bird"] });
      expect(await retriever.delete({ ids: ["de-dog"] })).toBe(1);
      expected = [];
      for (const q of queries) {
        const docs = await retriever.invoke(q);
        expected.push(docs.map((d) => ({ id: d.id!, pageContent: d.pageContent, metadata: d.metadata, score: d.metadata[MAXSIM_SCORE_KEY] as number })));
      }
    } finally {
      await retriever.close();
    }
    expect(expected[0]![0]!.id).toBe("fr-cat");
    expect(expected[1]![0]!.id).toBe("de-bird");
    expect(expected.flat().map((r) => r.id)).not.toContain("de-dog");

    const reopened = await queryInNewProcess(index, queries);
    expect(reopened.map((rows) => rows.map((r) => r.id))).toEqual(expected.map((rows) => rows.map((r) => r.id)));
    expect(reopened.map((rows) => rows.map((r) => r.pageContent))).toEqual(expected.map((rows) => rows.map((r) => r.pageContent)));
    reopened.flat().forEach((row, i) => expect(row.score).toBeCloseTo(expected.flat()[i]!.score, 5));
  });

  it("while a writer holds the directory, fromExistingIndex is INDEX_LOCKED and readOnly searches it", async () => {
    const { multilingual } = await ensureFixtures();
    const index = join(dir, "shared");
    const writer = await MaxSimRetriever.fromDocuments(FR_DE_DOCS, { model: multilingual, directory: index, k: 2 });
    try {
      const locked = await MaxSimRetriever.fromExistingIndex(index).catch((e: unknown) => e);
      expect((locked as { code?: string }).code).toBe("INDEX_LOCKED");
      const reader = await MaxSimRetriever.fromExistingIndex(index, { model: writer.collection.encoder, readOnly: true, k: 2 });
      try {
        expect((await reader.invoke("the black cat sleeps in the house")).map((d) => d.id)).toEqual(
          (await writer.invoke("the black cat sleeps in the house")).map((d) => d.id),
        );
        const write = await reader.addDocuments([new Document({ pageContent: "Le chien dort." })]).catch((e: unknown) => e);
        expect((write as { code?: string }).code).toBe("INDEX_READ_ONLY");
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  });

  it("fromExistingIndex on a missing directory passes core's error through", async () => {
    const error = await MaxSimRetriever.fromExistingIndex(join(dir, "missing")).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("INDEX_NOT_FOUND");
  });
});
