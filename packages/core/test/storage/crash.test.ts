/**
 * The crash test: a child process commits batches in a loop and is SIGKILLed at random moments;
 * after every kill the index must hold exactly the batches it reported committed, plus possibly
 * the one in flight — and whether that one is there is decided precisely by the manifest
 * generation (each batch is one commit). Runs continue on the same directory, so every run also
 * recovers from the previous crash (stale lock, temp files, orphan segments).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { IndexStore } from "../../src/storage/index.js";
import { DIM, liveIds, tokenCount, value } from "./crash-model.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
const root = await mkdtemp(join(tmpdir(), "maxsim-crash-"));
afterAll(() => rm(root, { recursive: true, force: true }));

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** When the parent kills the writer: a delay counted from spawn, from its `open` line or from its first commit. */
type KillAt = { from: "spawn" | "open" | "commit"; delayMs: number };

/** Runs the writer and SIGKILLs it at `at`; returns the commits it reported. */
function runAndKill(dir: string, at: KillAt): Promise<[number, number][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "crash-writer.ts"), dir], {
      cwd: packageRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill("SIGKILL"), at.delayMs));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (at.from === "open" || (at.from === "commit" && /^\d/m.test(out))) arm();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    if (at.from === "spawn") arm();
    // Safety net: a child that never reaches its kill point is killed anyway.
    const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== "SIGKILL") return reject(new Error(`writer exited with ${code ?? signal}: ${stderr}`));
      resolve(
        out
          .split("\n")
          .filter((l) => /^\d+ \d+$/.test(l))
          .map((l) => l.split(" ").map(Number) as [number, number]),
      );
    });
  });
}

/** Reads the whole index and checks it equals the workload after `n` batches, document by document. */
async function verify(dir: string, n: number, readOnly: boolean): Promise<void> {
  const store = await IndexStore.open(dir, { readOnly });
  try {
    await verifySnapshot(store, n);
  } finally {
    await store.close();
  }
}

/** Checks the snapshot `store` is on equals the workload after `n` batches. */
async function verifySnapshot(store: IndexStore, n: number): Promise<void> {
  {
    expect(store.manifest.meta.nextBatch).toBe(n);
    const state = await store.readBlob("state");
    expect(state === undefined ? undefined : new TextDecoder().decode(state)).toBe(n === 0 ? undefined : String(n - 1));
    const want = liveIds(n);
    const seen = new Set<string>();
    for (const entry of store.manifest.segments) {
      const seg = await store.readSegment(entry.name);
      const vectors = seg.columns.vectors as Float32Array;
      const offsets = seg.columns.offsets as Int32Array;
      const wrong: string[] = []; // collected, then asserted once (per-value expect() is slow)
      seg.ids.forEach((id, i) => {
        if (seg.deleted.has(id)) return;
        if (seen.has(id)) wrong.push(`${id} live twice`);
        seen.add(id);
        if (offsets[i + 1]! - offsets[i]! !== tokenCount(id)) wrong.push(`${id} token count`);
        for (let t = 0; t < tokenCount(id); t++) {
          for (let d = 0; d < DIM; d++) {
            if (vectors[(offsets[i]! + t) * DIM + d] !== Math.fround(value(id, t, d))) wrong.push(`${id} value ${t},${d}`);
          }
        }
        const payload = seg.payloads?.[i] as { text?: string } | undefined;
        if (payload?.text !== `text ${id}`) wrong.push(`${id} payload`);
      });
      expect(wrong).toEqual([]);
    }
    expect([...seen].sort()).toEqual([...want].sort());
  }
}

describe("crash safety", () => {
  it("a reader sees only complete snapshots while a writer commits (and compacts) in another process", async () => {
    const dir = join(root, "live");
    const writer = spawn(process.execPath, ["--import", "tsx", join(here, "crash-writer.ts"), dir], { cwd: packageRoot, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => writer.on("close", resolve));
    try {
      // Wait for the first commit, then read snapshot after snapshot for a while.
      await new Promise<void>((resolve) => writer.stdout.on("data", (c: Buffer) => /^\d/m.test(c.toString()) && resolve()));
      const reader = await IndexStore.open(dir, { readOnly: true });
      const generations = new Set<number>();
      let stale = 0;
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        await reader.refresh();
        try {
          await verifySnapshot(reader, reader.manifest.meta.nextBatch as number);
          generations.add(reader.manifest.generation);
        } catch (e) {
          // The writer compacted twice while we read: our snapshot's files were collected. Refresh.
          if (!(MaxsimError.isInstance(e) && e.code === "INDEX_STALE")) throw e;
          stale++;
        }
      }
      await reader.close();
      console.log(`live reader: ${generations.size} snapshots verified, ${stale} went stale mid-read`);
      expect(generations.size).toBeGreaterThanOrEqual(3);
    } finally {
      writer.kill("SIGKILL");
      await exited;
    }
  });

  it("after SIGKILL at random moments the index holds exactly the committed batches", async () => {
    const dir = join(root, "idx");
    const next = rng(20261125);
    const runs = 24;
    let committed = 0; // batches known committed
    let generation = -1; // manifest generation after them (-1: index not created yet)
    let inFlightLanded = 0;
    let withCommits = 0;
    let killedMidWrite = 0;
    for (let run = 0; run < runs; run++) {
      // A third of the kills land during start-up or open (lock takeover, recovery), a third just
      // after open (recovery GC, first commits), a third at a random point in the commit loop.
      const at: KillAt =
        run % 3 === 0
          ? { from: "spawn", delayMs: next() * 700 }
          : run % 3 === 1
            ? { from: "open", delayMs: next() * 25 }
            : { from: "commit", delayMs: next() * 150 };
      const lines = await runAndKill(dir, at);
      for (const [b, g] of lines) {
        expect(b).toBe(committed); // batches are reported in order, one generation each
        expect(g).toBe(generation + 1 + (generation === -1 ? 1 : 0));
        committed = b + 1;
        generation = g;
      }
      if (lines.length > 0) withCommits++;
      // A temp file left behind means the kill landed inside an atomic write (segment, blob or manifest).
      if ((await readdir(dir).catch(() => [])).some((f) => f.startsWith(".tmp-") && !f.endsWith("-LOCK"))) killedMidWrite++;
      let reader;
      try {
        reader = await IndexStore.open(dir, { readOnly: true });
      } catch (e) {
        // Killed before the index was ever created: nothing may exist.
        expect(generation).toBe(-1);
        expect((e as { code?: string }).code).toBe("INDEX_NOT_FOUND");
        continue;
      }
      const g = reader.manifest.generation;
      await reader.close();
      if (generation === -1) {
        // Created (generation 0) or also committed the in-flight batch 0 (generation 1).
        expect([0, 1]).toContain(g);
        if (g === 1) committed = 1;
      } else if (g === generation + 1) {
        committed++; // the in-flight batch reached its commit point before the kill
        inFlightLanded++;
      } else {
        expect(g).toBe(generation);
      }
      generation = g;
      await verify(dir, committed, true);
    }
    // Recovery by a writer: takes over the dead writer's lock, removes temp and orphan files.
    await verify(dir, committed, false);
    const store = await IndexStore.open(dir);
    const files = await readdir(dir);
    await store.close();
    expect(files.filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    console.log(
      `crash test: ${runs} SIGKILLs, ${committed} batches committed over ${withCommits} runs that committed, ` +
        `in-flight batch landed after ${inFlightLanded} kills, ${killedMidWrite} kills inside a file write, final generation ${generation}`,
    );
    expect(withCommits).toBeGreaterThanOrEqual(runs / 3);
  });
});
