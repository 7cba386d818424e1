/**
 * `maxsim search` run in this process (commander program + the real command) on a real
 * collection and the multilingual fixture model. `ColBERT.encodeQueries` is observed (it still
 * runs the real model) to count how often the query is encoded: once for the search and every
 * hit's highlights. The highlights are checked against `Collection.explain` on the same collection.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { highlightSpans, registerSearch } from "../../src/cli/commands/search.js";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

const DOCS = [
  { id: "fr-chat", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr" } },
  { id: "de-hund", text: "Der Hund bellt im Garten.", metadata: { lang: "de" } },
  { id: "es-pan", text: "El pan está en la mesa de la cocina.", metadata: { lang: "es" } },
];

let tmp: string;
let dir: string;

/** Runs `maxsim search <args>` in process; returns what it printed and the query texts it encoded. */
async function search(args: string[]): Promise<{ stdout: string; encoded: string[][] }> {
  const encodes = vi.spyOn(ColBERT.prototype, "encodeQueries");
  let stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  const program = new Command().exitOverride();
  registerSearch(program);
  await program.parseAsync(["search", ...args], { from: "user" });
  return { stdout, encoded: encodes.mock.calls.map((c) => c[0]) };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-cli-search-"));
  dir = path.join(tmp, "idx");
  const c = await Collection.create(dir, { model: (await ensureFixtures()).multilingual });
  await c.addDocuments(DOCS);
  await c.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("maxsim search explains its hits from the search's own query encoding", () => {
  it("--json: encodes the query once for all hits, with the highlights explain gives", async () => {
    const { stdout, encoded } = await search([dir, "black cat", "-k", "3", "--json"]);
    expect(encoded).toEqual([["black cat"]]);
    const hits = JSON.parse(stdout) as { rank: number; id: string; highlights: [number, number][] }[];
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(hits[0]!.id).toBe("fr-chat");
    const c = await Collection.open(dir, { readOnly: true });
    try {
      for (const h of hits) expect(h.highlights).toEqual(highlightSpans(await c.explain("black cat", h.id), 0.5));
    } finally {
      await c.close();
    }
  });

  it("text output: encodes the query once and keeps the ranked, highlighted lines", async () => {
    const { stdout, encoded } = await search([dir, "black cat", "-k", "2"]);
    expect(encoded).toEqual([["black cat"]]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ 1\. \d+\.\d{4} {2}fr-chat$/);
    expect(lines[1]).toBe("    Le «chat» «noir» dort sur le canapé.");
  });
});
