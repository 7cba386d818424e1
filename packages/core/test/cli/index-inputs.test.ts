import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkText, globToRegExp, readDocuments, resolveInputs, tokenSpans } from "../../src/cli/read-inputs.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import type { ReadDocument } from "../../src/cli/read-inputs.js";
import { MaxsimError } from "../../src/errors.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "maxsim-inputs-"));
  await mkdir(path.join(dir, "docs", "fr"), { recursive: true });
  await writeFile(path.join(dir, "docs", "a.txt"), "alpha beta gamma delta");
  await writeFile(path.join(dir, "docs", "fr", "b.md"), "# Chat\nLe chat dort.");
  await writeFile(path.join(dir, "docs", "skip.bin"), "binary");
  await writeFile(path.join(dir, "docs", "empty.txt"), "  \n");
  await writeFile(path.join(dir, "c.jsonl"), '{"id":"x1","text":"one","metadata":{"lang":"en"}}\n\n{"_id":7,"title":"T","text":"two"}\n{"text":"three"}\n');
  await writeFile(path.join(dir, "bad.jsonl"), '{"id":"x1","text":"one"}\n{"id":"x2"}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function all(it: AsyncIterable<ReadDocument>): Promise<ReadDocument[]> {
  const out: ReadDocument[] = [];
  for await (const d of it) out.push(d);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return MaxsimError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return "no error";
}

describe("resolveInputs", () => {
  it("directories give .txt/.md files sorted, ids relative to cwd", async () => {
    const s = await resolveInputs(["docs"], { cwd: dir });
    expect(s.map((x) => x.id)).toEqual(["docs/a.txt", "docs/empty.txt", "docs/fr/b.md"]);
    expect(s[0]!.bytes).toBe(22);
  });

  it("globs with ** and braces, de-duplicated", async () => {
    const s = await resolveInputs(["docs/**/*.{md,txt}", "docs/a.txt"], { cwd: dir });
    expect(s.map((x) => x.id)).toEqual(["docs/a.txt", "docs/empty.txt", "docs/fr/b.md"]);
    expect(globToRegExp("**/*.md").test("a/b/c.md")).toBe(true);
    expect(globToRegExp("*.md").test("a/c.md")).toBe(false);
  });

  it("missing paths and empty globs are clear errors", async () => {
    expect(await errorOf(resolveInputs(["nope.txt"], { cwd: dir }))).toMatch(/^IO_ERROR: Cannot read nope.txt \(ENOENT\)/);
    expect(await errorOf(resolveInputs(["docs/*.pdf"], { cwd: dir }))).toMatch(/^INVALID_INPUT: The pattern docs\/\*.pdf matches no files/);
  });
});

describe("readDocuments", () => {
  it("text files: one document each, empty files skipped", async () => {
    const docs = await all(readDocuments(await resolveInputs(["docs"], { cwd: dir })));
    expect(docs.map((d) => [d.id, d.text, d.metadata])).toEqual([
      ["docs/a.txt", "alpha beta gamma delta", { source: "docs/a.txt" }],
      ["docs/fr/b.md", "# Chat\nLe chat dort.", { source: "docs/fr/b.md" }],
    ]);
  });

  it("JSONL: id/_id, title + text, metadata, path:line for missing ids", async () => {
    const docs = await all(readDocuments(await resolveInputs(["c.jsonl"], { cwd: dir }), { jsonl: true }));
    expect(docs.map((d) => [d.id, d.text, d.metadata])).toEqual([
      ["x1", "one", { lang: "en" }],
      ["7", "T\ntwo", {}],
      ["c.jsonl:4", "three", {}],
    ]);
    expect(await errorOf(all(readDocuments(await resolveInputs(["bad.jsonl"], { cwd: dir }), { jsonl: true })))).toMatch(
      /^INVALID_INPUT: bad.jsonl:2 has no string "text" field/,
    );
  });

  it("stdin: one document per non-empty line, or JSONL", async () => {
    const src = await resolveInputs(["-"], { cwd: dir });
    const docs = await all(readDocuments(src, { stdin: Readable.from(["first line\n\nsecond line\n"]) }));
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ["stdin:1", "first line"],
      ["stdin:3", "second line"],
    ]);
    const j = await all(readDocuments(src, { jsonl: true, stdin: Readable.from(['{"id":"q","text":"hi"}\n']) }));
    expect(j.map((d) => d.id)).toEqual(["q"]);
  });

  it("chunking: overlapping word windows with source and chunk metadata", async () => {
    expect(chunkText("a b c d e", { size: 2, overlap: 1 })).toEqual(["a b", "b c", "c d", "d e"]);
    expect(chunkText("a  b\nc d e", { size: 3, overlap: 0 })).toEqual(["a  b\nc", "d e"]);
    expect(chunkText("a b", { size: 3, overlap: 1 })).toEqual(["a b"]);
    expect(chunkText("   ", { size: 3, overlap: 1 })).toEqual([]);
    const docs = await all(readDocuments(await resolveInputs(["docs/a.txt"], { cwd: dir }), { chunk: { size: 3, overlap: 1 } }));
    expect(docs.map((d) => [d.id, d.text, d.metadata, d.bytes])).toEqual([
      ["docs/a.txt#0", "alpha beta gamma", { source: "docs/a.txt", chunk: 0 }, 0],
      ["docs/a.txt#1", "gamma delta", { source: "docs/a.txt", chunk: 1 }, 22],
    ]);
  });
});

describe("tokenSpans (chunking by model tokens)", () => {
  it("one span per model token; unlocatable tokens cover the gap; chunks are windows of tokens", async () => {
    const fx = await ensureFixtures();
    const m = await ColBERT.fromPretrained(fx.lexical);
    try {
      // "xylo" is split by WordPiece and 猫 is [UNK] in the lexical fixture's vocabulary.
      const text = "The cat 猫 sleeps, xylo";
      const spans = tokenSpans(m, text);
      expect(spans.length).toBe(m.tokenize(text).length);
      expect(spans.map(([s, e]) => text.slice(s, e))).toEqual(["The", "cat", "猫", "sleeps", ",", "x", "y", "l", "o"]);
      expect(chunkText(text, { size: 4, overlap: 1, units: (t) => tokenSpans(m, t) })).toEqual(["The cat 猫 sleeps", "sleeps, xy", "ylo"]);
    } finally {
      await m.dispose();
    }
  });
});
