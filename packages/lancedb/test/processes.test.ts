// Many processes on one LanceDB table (real child processes, real fixture model, real files):
// a reader sees versions committed after it opened, two writers lose no document, and a writer
// killed with SIGKILL keeps every document it acknowledged.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { LanceCollection } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..");

function child(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--conditions=@maxsim/source", "--import", "tsx", join(here, "lance-child.ts"), ...args], {
    cwd: packageRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Collects a child's stdout lines; `next(prefix)` waits for the next line starting with it. */
function lines(p: ChildProcessWithoutNullStreams) {
  const seen: string[] = [];
  let stderr = "";
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  let buf = "";
  p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  p.stdout.on("data", (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      seen.push(line);
      const w = waiters.findIndex((x) => line.startsWith(x.prefix));
      if (w >= 0) waiters.splice(w, 1)[0]!.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on("close", (code, signal) => resolve({ code, signal })));
  return {
    seen,
    stderr: () => stderr,
    exited,
    next: (prefix: string) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then(() => reject(new Error(`child exited before "${prefix}": ${stderr}`)));
      }),
  };
}

let encoder: ColBERT;
let root: string;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  root = await mkdtemp(join(tmpdir(), "maxsim-lance-proc-"));
});

afterAll(async () => {
  await encoder?.dispose();
  await rm(root, { recursive: true, force: true });
});

async function storedIds(uri: string): Promise<string[]> {
  const c = await LanceCollection.open(uri, { model: encoder, readOnly: true });
  try {
    const rows = (await c.table.query().select(["id"]).toArray()) as { id: string }[];
    return rows.map((r) => r.id);
  } finally {
    await c.close();
  }
}

describe("a reader in another process", () => {
  it("sees documents committed after it opened, without reopening", async () => {
    const uri = join(root, "reader");
    const writer = await LanceCollection.create(uri, { model: encoder });
    await writer.addDocuments([{ id: "fr-cat", text: "Le chat noir dort dans la maison." }]);
    const p = child(["reader", uri]);
    const out = lines(p);
    expect(await out.next("open")).toBe("open 1");
    p.stdin.write("query the dog drinks water\n");
    expect(JSON.parse((await out.next("hits")).slice(5))).toEqual(["fr-cat"]);
    await writer.addDocuments([{ id: "de-dog", text: "Der Hund trinkt Wasser im Garten." }]);
    // every read checks for a newer version (readConsistencyInterval 0): the query sees it
    p.stdin.write("query the dog drinks water\n");
    expect(JSON.parse((await out.next("hits")).slice(5))).toEqual(["de-dog", "fr-cat"]);
    await writer.deleteDocuments(["fr-cat"]);
    p.stdin.write("refresh\n");
    expect(await out.next("refreshed")).toBe("refreshed true 1");
    p.stdin.write("query the dog drinks water\n");
    expect(JSON.parse((await out.next("hits")).slice(5))).toEqual(["de-dog"]);
    p.stdin.end();
    expect((await out.exited).code).toBe(0);
    await writer.close();
  });
});

describe("two writers", () => {
  it("appending at once: every acknowledged document is stored once", async () => {
    const uri = join(root, "two-add");
    await (await LanceCollection.create(uri, { model: encoder })).close();
    const a = lines(child(["writer", uri, "a", "12"]));
    const b = lines(child(["writer", uri, "b", "12"]));
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect([ea.code, eb.code], a.stderr() + b.stderr()).toEqual([0, 0]);
    const acked = [...a.seen, ...b.seen].filter((l) => l.startsWith("ack ")).map((l) => l.slice(4));
    expect(acked).toHaveLength(24); // appends never conflict: LanceDB rebases them
    expect((await storedIds(uri)).sort()).toEqual(acked.sort());
  });

  it("upserting the same ids at once: each id once, no lost acknowledged document, conflicts typed", async () => {
    const uri = join(root, "two-upsert");
    await (await LanceCollection.create(uri, { model: encoder })).close();
    const a = lines(child(["writer", uri, "same", "8", "upsert"]));
    const b = lines(child(["writer", uri, "same", "8", "upsert"]));
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect([ea.code, eb.code], a.stderr() + b.stderr()).toEqual([0, 0]);
    const all = [...a.seen, ...b.seen];
    // a lost race is retried, and past the retry budget it is the typed COMMIT_CONFLICT
    for (const l of all.filter((x) => x.startsWith("error "))) expect(l).toMatch(/^error COMMIT_CONFLICT /);
    const acked = new Set(all.filter((l) => l.startsWith("ack ")).map((l) => l.slice(4)));
    const stored = await storedIds(uri);
    expect(new Set(stored).size).toBe(stored.length); // never two rows for one id
    for (const id of acked) expect(stored).toContain(id);
  });
});

describe("kill -9", () => {
  it("a writer killed mid-write keeps every acknowledged document, and the table stays writable", async () => {
    const uri = join(root, "kill");
    await (await LanceCollection.create(uri, { model: encoder })).close();
    const acked: string[] = [];
    for (let run = 0; run < 3; run++) {
      const p = child(["writer", uri, `r${run}`, "1000"]);
      const out = lines(p);
      // kill after a few acknowledged commits, at a point that varies with the run
      for (let i = 0; i < 2 + run; i++) await out.next("ack ");
      await new Promise((r) => setTimeout(r, 37 * run));
      p.kill("SIGKILL");
      const { signal } = await out.exited;
      expect(signal).toBe("SIGKILL");
      acked.push(...out.seen.filter((l) => l.startsWith("ack ")).map((l) => l.slice(4)));
      const stored = await storedIds(uri);
      for (const id of acked) expect(stored).toContain(id);
      // at most the one batch in flight when the kill landed is stored without its ack
      expect(stored.length - acked.length).toBeLessThanOrEqual(run + 1);
      expect(new Set(stored).size).toBe(stored.length);
    }
    const c = await LanceCollection.open(uri, { model: encoder });
    await c.addDocuments([{ id: "after", text: "Il pleut." }]);
    expect((await c.getDocuments(["after"]))[0]?.text).toBe("Il pleut.");
    expect((await c.query("the black cat sleeps", { k: 1 })).length).toBe(1);
    await c.close();
  });
});
