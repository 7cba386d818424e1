/**
 * The collection verbs end to end: `maxsim index | search | add | delete | info` run as real
 * processes (node + tsx on the TypeScript source) on the multilingual fixture model.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures } from "../../src/fixtures/index.js";
import type { FixturePaths } from "../../src/fixtures/index.js";

const MAIN = path.resolve(__dirname, "../../src/cli/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let fx: FixturePaths;
let tmp: string;

function maxsim(args: string[], options: { stdin?: string; onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@maxsim/source", "--import", TSX, MAIN, ...args], { cwd: tmp, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, (s) => child.kill(s));
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

beforeAll(async () => {
  fx = await ensureFixtures();
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-cli-"));
  await mkdir(path.join(tmp, "docs", "sub"), { recursive: true });
  await writeFile(path.join(tmp, "docs", "fr.txt"), "Le chat noir dort sur le canapé.");
  await writeFile(path.join(tmp, "docs", "de.md"), "Der Hund bellt im Garten.");
  await writeFile(path.join(tmp, "docs", "es.txt"), "El pan está en la mesa de la cocina.");
  await writeFile(path.join(tmp, "docs", "sub", "en.txt"), "The water of the river is cold.");
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Errors are one line, `maxsim: CODE: message` (after any progress lines), exit 1, no stack trace. */
function expectOneLineError(r: Run, code: string, afterProgress = false): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split("\n");
  if (!afterProgress) expect(lines).toHaveLength(1);
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^maxsim: ${code}: `));
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("maxsim index / search / add / delete / info", () => {
  it("indexes files (resuming past committed ids), searches with highlights, adds, deletes, describes", async () => {
    // A first run indexes one file; the second run skips it and adds the rest.
    const first = await maxsim(["index", "idx", "--model", fx.multilingual, "docs/fr.txt"]);
    expect(first.stderr).toMatch(/^indexing: 1 docs, [\d.]+ docs\/s, 100%/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^indexed 1 documents · \d+ tokens · [\d.]+ s .* bytes\/token on disk · 1 documents in idx\n$/);
    const second = await maxsim(["index", "idx", "--model", fx.multilingual, "docs"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^resuming: 1 documents already in idx\n/);
    expect(second.stdout).toMatch(/^indexed 3 documents \(1 skipped: already indexed\) · \d+ tokens/);

    const search = await maxsim(["search", "idx", "black cat", "-k", "2"]);
    expect(search.code).toBe(0);
    const lines = search.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ 1\. \d+\.\d{4} {2}docs\/fr\.txt$/);
    expect(lines[1]).toBe("    Le «chat» «noir» dort sur le canapé.");
    expect(lines).toHaveLength(4);

    // `add` reads JSONL from stdin; an id already stored is skipped.
    const add = await maxsim(["add", "idx", "-", "--jsonl"], {
      stdin:
        '{"id":"docs/fr.txt","text":"x"}\n{"id":"m1","text":"La casa tiene un jardín con un perro.","metadata":{"lang":"es"}}\n{"id":"s1","text":"Der Fluss ist kalt.","metadata":{"lang":"de"}}\n',
    });
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^added 2 documents \(1 skipped: already indexed\) · \d+ tokens/);

    const filtered = await maxsim(["search", "idx", "dog", "--filter", '{"lang":{"$in":["es","de"]}}', "--json"]);
    const hits = JSON.parse(filtered.stdout) as { rank: number; id: string; text: string; highlights: [number, number][] }[];
    expect(hits.map((h) => h.id)).toEqual(["m1", "s1"]);
    expect(hits[0]).toMatchObject({ rank: 1, id: "m1", metadata: { lang: "es" } });
    expect(hits[0]!.highlights.map(([s, e]) => hits[0]!.text.slice(s, e))).toEqual(["perro"]);

    const del = await maxsim(["delete", "idx", "docs/de.md", "nope"]);
    expect(del.stdout).toBe("deleted 1 of 2 ids · 5 documents left\n");

    const info = await maxsim(["info", "idx"]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      dir: "idx",
      model: fx.multilingual,
      documents: 5,
      codec: "float32",
      formatVersion: 1,
      collectionFormat: 1,
    });
  });

  it("--disk-tier builds a two-tier collection (residual-2 in memory, float16 on disk) that answers like the float32 one", async () => {
    const made = await maxsim(["index", "tiered", "--model", fx.multilingual, "--disk-tier", "docs"]);
    expect(made.code).toBe(0);
    const info = await maxsim(["info", "tiered"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ documents: 4, codec: "residual-2" });
    const plain = await maxsim(["index", "plain", "--model", fx.multilingual, "docs"]);
    expect(plain.code).toBe(0);
    for (const query of ["black cat", "cold river", "bread on the table"]) {
      const [a, b] = await Promise.all([maxsim(["search", "tiered", query, "--json"]), maxsim(["search", "plain", query, "--json"])]);
      const ids = (r: Run) => (JSON.parse(r.stdout) as { id: string }[]).map((h) => h.id);
      expect(ids(a)).toEqual(ids(b));
    }
  });

  it("chunks with --chunk-tokens/--overlap counted in the model's tokens and says so", async () => {
    // The multilingual fixture's WordPiece splits "six" into s ##i ##x and "sept" into se ##p ##t:
    // 11 tokens, so windows of 3 tokens stepping by 2 give 5 chunks (whitespace words would give 3).
    await writeFile(path.join(tmp, "long.txt"), "un deux trois quatre cinq six sept");
    const r = await maxsim(["index", "chunked", "--model", fx.multilingual, "long.txt", "--chunk-tokens", "3", "--overlap", "1"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^chunking: 3 model tokens per chunk, overlap 1\n/);
    expect(r.stdout).toMatch(/^indexed 5 documents/);
    const s = JSON.parse((await maxsim(["search", "chunked", "five", "--json", "-k", "10"])).stdout) as { id: string; text: string; metadata: unknown }[];
    const byId = Object.fromEntries(s.map((h) => [h.id, h.text]));
    expect(byId).toEqual({
      "long.txt#0": "un deux trois",
      "long.txt#1": "trois quatre cinq",
      "long.txt#2": "cinq si",
      "long.txt#3": "ix se",
      "long.txt#4": "sept",
    });
    expect(s.find((h) => h.id === "long.txt#1")!.metadata).toEqual({ source: "long.txt", chunk: 1 });
    // A window longer than the model's document length is truncated by the encoder: say so.
    const big = await maxsim(["index", "chunked-big", "--model", fx.multilingual, "long.txt", "--chunk-tokens", "100000"]);
    expect(big.code).toBe(0);
    expect(big.stderr).toMatch(/warning: the model keeps \d+ tokens per document/);
  });

  it("Ctrl-C or a crash stops after committed batches; re-running resumes without duplicates", async () => {
    const n = 400;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, text: `Le chat ${i} dort. Der Hund ${i} bellt.` }));
    await writeFile(path.join(tmp, "many.jsonl"), `${lines.join("\n")}\n`);
    // One Ctrl-C as soon as the first batch is committed (its progress line appears); a second
    // Ctrl-C would kill the process the default way.
    let sent = false;
    const interrupted = await maxsim(["index", "resume", "--model", fx.multilingual, "many.jsonl", "--jsonl", "--batch-size", "1"], {
      onStderr: (text, kill) => {
        if (!sent && text.includes("indexing: ")) {
          sent = true;
          kill("SIGINT");
        }
      },
    });
    const resumed = await maxsim(["index", "resume", "--model", fx.multilingual, "many.jsonl", "--jsonl", "--batch-size", "100"]);
    expect(resumed.code).toBe(0);
    const added = Number(/^indexed (\d+) documents/.exec(resumed.stdout)?.[1]);
    const skipped = Number(/\((\d+) skipped/.exec(resumed.stdout)?.[1] ?? 0);
    expectOneLineError(interrupted, "ABORTED", true);
    const committed = Number(/Interrupted after (\d+) new documents were committed. Run the same command again to resume./.exec(interrupted.stderr)?.[1]);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(n);
    expect(skipped).toBe(committed);
    expect(added + skipped).toBe(n);
    expect(resumed.stdout).toMatch(new RegExp(`· ${n} documents in resume\\n$`));

    // A crash (SIGKILL, no handler runs) loses at most the batch in flight.
    let killed = false;
    const crashed = await maxsim(["index", "crash", "--model", fx.multilingual, "many.jsonl", "--jsonl", "--batch-size", "1"], {
      onStderr: (text, kill) => {
        if (!killed && text.includes("indexing: ")) {
          killed = true;
          kill("SIGKILL");
        }
      },
    });
    expect(crashed.signal).toBe("SIGKILL");
    const recovered = await maxsim(["index", "crash", "--model", fx.multilingual, "many.jsonl", "--jsonl"]);
    expect(recovered.code).toBe(0);
    const recoveredSkipped = Number(/\((\d+) skipped/.exec(recovered.stdout)?.[1]);
    expect(recoveredSkipped).toBeGreaterThan(0);
    expect(Number(/^indexed (\d+) documents/.exec(recovered.stdout)?.[1]) + recoveredSkipped).toBe(n);
    expect(recovered.stdout).toMatch(new RegExp(`· ${n} documents in crash\\n$`));
  });

  it("errors: one clear line and exit 1; --debug adds the stack", async () => {
    expectOneLineError(await maxsim(["search", "missing", "cat"]), "INDEX_NOT_FOUND");
    const mismatch = await maxsim(["index", "idx", "--model", fx.lexical, "docs"]);
    expectOneLineError(mismatch, "MODEL_MISMATCH");
    expect(mismatch.stderr).toContain(fx.multilingual);
    expect(mismatch.stderr).toContain(fx.lexical);
    expectOneLineError(await maxsim(["search", "idx", "cat", "--filter", '{"lang":{"$regex":"f"}}']), "INVALID_FILTER");
    expectOneLineError(await maxsim(["search", "idx", "cat", "--filter", '{"lang":']), "INVALID_FILTER");
    expectOneLineError(await maxsim(["search", "idx", "cat", "--width", "wide"]), "INVALID_OPTION");
    expectOneLineError(await maxsim(["add", "idx", "docs/none.txt"]), "IO_ERROR");
    expectOneLineError(await maxsim(["index", "fresh"]), "INVALID_OPTION");
    const notCollection = await maxsim(["index", "docs", "--model", fx.multilingual, "docs/fr.txt"]);
    expectOneLineError(notCollection, "INDEX_NOT_FOUND");
    expect(notCollection.stderr).toContain("docs is not empty and holds no maxsim collection");
    const debug = await maxsim(["search", "missing", "cat", "--debug"]);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^maxsim: INDEX_NOT_FOUND: .*\n.*\n\s+at /);
  });
});
