/**
 * Graceful shutdown of `maxsim serve` as a real process: SIGTERM (and SIGINT) during a storm of
 * concurrent writes must stop accepting, finish what is in flight, exit 0, and lose no write the
 * server acknowledged — checked by reopening the collection and looking up every acknowledged id.
 */
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

const MAIN = path.resolve(__dirname, "../../src/cli/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let tmp: string;
let model: string;

beforeAll(async () => {
  model = (await ensureFixtures()).multilingual;
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-serve-stop-"));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startServe(dir: string, env: Record<string, string> = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@maxsim/source", "--import", TSX, MAIN, "serve", dir, "--port", "0"], {
      cwd: tmp,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
      child.on("close", (code, signal) => done({ code, signal, stderr })),
    );
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = /maxsim serve: (http:\/\/[^\s]+) /.exec(stdout);
      if (m) resolve({ child, url: m[1]!, exited });
    });
    child.on("error", reject);
    void exited.then((r) => reject(new Error(`maxsim serve exited before listening (${r.code}): ${stderr}`)));
  });
}

async function storm(signal: NodeJS.Signals): Promise<void> {
  const dir = path.join(tmp, `storm-${signal}`);
  const c = await Collection.create(dir, { model });
  await c.addDocuments([{ id: "seed", text: "Le chat dort." }]);
  await c.close();

  const { child, url, exited } = await startServe(dir);
  const acknowledged: string[] = [];
  let requests = 0;
  let killed = false;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const ids = [0, 1, 2].map((i) => `w${w}-${n}-${i}`);
      requests++;
      let status: number;
      try {
        const res = await fetch(`${url}/documents`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ documents: ids.map((id) => ({ id, text: `Der Hund ${id} bellt im Garten.`, metadata: { w } })) }),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        return; // connection refused or reset: the server is gone; nothing was acknowledged
      }
      if (status === 200) acknowledged.push(...ids);
      else {
        expect(status).toBe(503); // refused while closing, never a 500
        return;
      }
      if (!killed && acknowledged.length >= 60) {
        killed = true;
        child.kill(signal);
      }
    }
  };
  await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
  const result = await exited;
  expect(result.code).toBe(0);
  expect(result.stderr).toContain(`${signal}: finishing in-flight requests and writes`);
  expect(result.stderr).toContain("closed");
  expect(acknowledged.length).toBeGreaterThanOrEqual(60);
  expect(requests).toBeGreaterThan(acknowledged.length / 3);

  const reopened = await Collection.open(dir, { readOnly: true });
  try {
    const missing = acknowledged.filter((id) => !reopened.has(id));
    expect(missing).toEqual([]);
    // Unacknowledged writes may or may not have landed; acknowledged ones all did.
    expect(reopened.size).toBeGreaterThanOrEqual(acknowledged.length + 1);
    expect((await reopened.getDocuments([acknowledged.at(-1)!]))[0]?.text).toContain("bellt");
  } finally {
    await reopened.close();
  }
  // The writer lock is released: a new writer opens the directory.
  const writerAgain = await Collection.open(dir);
  await writerAgain.close();
}

describe("maxsim serve graceful shutdown", () => {
  it("SIGTERM during a write storm exits 0 and loses no acknowledged write", async () => {
    await storm("SIGTERM");
  });

  it("SIGINT does the same", async () => {
    await storm("SIGINT");
  });
});

describe("maxsim serve flags", () => {
  it("takes the token from MAXSIM_TOKEN", async () => {
    const dir = path.join(tmp, "token-env");
    const c = await Collection.create(dir, { model });
    await c.addDocuments([{ id: "de", text: "Der Hund bellt." }]);
    await c.close();
    const { child, url, exited } = await startServe(dir, { MAXSIM_TOKEN: "from-the-env" });
    try {
      const search = (auth?: string) =>
        fetch(`${url}/search`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify({ query: "dog", k: 1 }),
        });
      expect((await search()).status).toBe(401);
      const ok = await search("Bearer from-the-env");
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { results: { id: string }[] }).results[0]!.id).toBe("de");
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect((await exited).code).toBe(0);
  });
});
