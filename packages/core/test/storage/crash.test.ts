/**
 * The crash test: a child process (`crash-writer.ts`) commits batches in a loop and is SIGKILLed;
 * after every kill the index must hold exactly the batches it reported committed, plus the one in
 * flight if and only if the manifest generation moved past the last reported one (each batch is one
 * commit). Kills land at random moments (seeded delays; runs continue on one directory, so each
 * run also recovers from the previous crash: stale lock, temp files, orphan segments) and at fixed
 * steps of a commit (the child kills itself around its n-th rename / fsync / unlink / link).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { IndexStore, manifestFileName } from "../../src/storage/index.js";
import { decodeManifest } from "../../src/storage/manifest.js";
import { DIM, liveIds, tokenCount, value } from "./crash-model.js";
import { rng } from "../helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
const root = await mkdtemp(join(tmpdir(), "maxsim-crash-"));
afterAll(() => rm(root, { recursive: true, force: true }));

/** When the writer dies: after a delay from spawn, from its `open` line or from its first commit; or by itself. */
type KillAt = { from: "spawn" | "open" | "commit"; delayMs: number } | { from: "self"; crashAt: string };

/** Runs the writer until it is SIGKILLed at `at`; returns the commits it reported. */
function runAndKill(dir: string, at: KillAt): Promise<[number, number][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "crash-writer.ts"), dir], {
      cwd: packageRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: at.from === "self" ? { ...process.env, MAXSIM_CRASH_AT: at.crashAt } : process.env,
    });
    let out = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (at.from !== "self") timer ??= setTimeout(() => child.kill("SIGKILL"), at.delayMs);
    };
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

/** Checks the snapshot `store` is on equals the workload after `n` batches, document by document. */
async function verifySnapshot(store: IndexStore, n: number): Promise<void> {
  expect(store.manifest.meta.nextBatch).toBe(n);
  const state = await store.readBlob("state");
  expect(state === undefined ? undefined : new TextDecoder().decode(state)).toBe(n === 0 ? undefined : String(n - 1));
  const seen = new Set<string>();
  const wrong: string[] = []; // collected, then asserted once (per-value expect() is slow)
  for (const entry of store.manifest.segments) {
    const seg = await store.readSegment(entry.name);
    const vectors = seg.columns.vectors as Float32Array;
    const offsets = seg.columns.offsets as Int32Array;
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
  }
  expect(wrong).toEqual([]);
  expect([...seen].sort()).toEqual([...liveIds(n)].sort());
}

/** What the parent knows: batches known committed and the manifest generation after them (-1: no index yet). */
interface Known {
  committed: number;
  generation: number;
}

/**
 * After a kill: folds the reported commits into `known`, decides from the manifest generation
 * whether the in-flight batch landed, and verifies the index content. Returns the new knowledge
 * and whether the in-flight batch landed.
 */
async function checkAfterKill(dir: string, lines: [number, number][], known: Known): Promise<Known & { landed: boolean }> {
  let { committed, generation } = known;
  for (const [b, g] of lines) {
    expect(b).toBe(committed); // batches are reported in order, one generation each
    expect(g).toBe(generation === -1 ? 1 : generation + 1);
    committed = b + 1;
    generation = g;
  }
  let reader: IndexStore;
  try {
    reader = await IndexStore.open(dir, { readOnly: true });
  } catch (e) {
    // Killed before the index was ever created: nothing may exist.
    expect(generation).toBe(-1);
    expect(MaxsimError.isInstance(e) && e.code).toBe("INDEX_NOT_FOUND");
    return { committed, generation, landed: false };
  }
  try {
    const g = reader.manifest.generation;
    let landed = false;
    if (generation === -1) {
      expect([0, 1]).toContain(g); // created, and perhaps also committed the in-flight batch 0
      landed = g === 1;
    } else {
      expect([generation, generation + 1]).toContain(g);
      landed = g === generation + 1;
    }
    if (landed) committed++;
    await verifySnapshot(reader, committed);
    return { committed, generation: g, landed };
  } finally {
    await reader.close();
  }
}

/** A writer open recovers (takes the dead writer's lock over, deletes temp and orphan files) and sees the same data. */
async function recoverAndCheck(dir: string, committed: number): Promise<void> {
  const store = await IndexStore.open(dir);
  try {
    await verifySnapshot(store, committed);
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    // Only the current and the previous generation remain, and every data file is one of theirs.
    const manifests = files.filter((f) => f.startsWith("manifest-")).sort();
    expect(manifests.length).toBeLessThanOrEqual(2);
    expect(manifests.at(-1)).toBe(manifestFileName(store.manifest.generation));
    const referenced = new Set<string>();
    for (const f of manifests) {
      const m = decodeManifest(await readFile(join(dir, f)), f);
      for (const s of m.segments) referenced.add(s.file);
      for (const b of Object.values(m.blobs)) referenced.add(b.file);
    }
    expect(files.filter((f) => (f.endsWith(".seg") || f.endsWith(".bin")) && !referenced.has(f))).toEqual([]);
  } finally {
    await store.close();
  }
}

describe("crash safety", () => {
  it("after SIGKILL at random moments the index holds exactly the committed batches", async () => {
    const dir = join(root, "random");
    const next = rng(20261125);
    const runs = 20;
    let known: Known = { committed: 0, generation: -1 };
    let landed = 0;
    let withCommits = 0;
    let midWrite = 0;
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
      if (lines.length > 0) withCommits++;
      // A temp file left behind means the kill landed inside an atomic write (segment, blob or manifest).
      if ((await readdir(dir).catch(() => [])).some((f) => f.startsWith(".tmp-") && !f.endsWith("-LOCK"))) midWrite++;
      const after = await checkAfterKill(dir, lines, known);
      if (after.landed) landed++;
      known = after;
    }
    await recoverAndCheck(dir, known.committed);
    console.log(
      `random kills: ${runs} SIGKILLs, ${known.committed} batches committed over ${withCommits} runs that committed, ` +
        `in-flight batch landed after ${landed} kills, ${midWrite} kills inside a file write, final generation ${known.generation}`,
    );
    expect(withCommits).toBeGreaterThanOrEqual(Math.floor(runs / 3)); // every "commit" run commits
  });

  it("after SIGKILL at fixed steps of a commit (around renames, fsyncs, deletions) the index holds exactly the committed batches", async () => {
    // Fresh index per case. Renames: #1 manifest 0, then per plain commit segment, blob, manifest
    // (#2–#4, #5–#7, …, #11–#13); batch 4 compacts: two segments, blob, manifest (#14–#17).
    // Unlinks are lock temps and GC of old generations.
    const cases = [
      "rename:1:before",
      "rename:1:after",
      "rename:5:after",
      "rename:7:before",
      "rename:7:after",
      "rename:14:before",
      "rename:16:after",
      "rename:17:after",
      "fsync:6:before",
      "fsync:9:after",
      "unlink:4:before",
      "unlink:6:after",
      "link:1:after",
    ];
    const outcomes: string[] = [];
    for (const [n, crashAt] of cases.entries()) {
      const dir = join(root, `step-${n}`);
      const lines = await runAndKill(dir, { from: "self", crashAt });
      const after = await checkAfterKill(dir, lines, { committed: 0, generation: -1 });
      if (after.generation >= 0) await recoverAndCheck(dir, after.committed);
      else await (await IndexStore.create(dir, { dim: DIM })).close(); // takes over the dead creator's lock
      outcomes.push(`${crashAt} → gen ${after.generation}${after.landed ? " (in-flight landed)" : ""}`);
    }
    console.log(`fixed kill points: ${outcomes.join("; ")}`);
    // The cases reach different states: no index, empty index, in-flight commits both lost and landed.
    expect(outcomes.some((o) => o.includes("gen -1"))).toBe(true);
    expect(outcomes.some((o) => o.includes("landed"))).toBe(true);
    expect(new Set(outcomes.map((o) => o.split("gen ")[1])).size).toBeGreaterThanOrEqual(4);
  });

  it("a reader sees only complete snapshots while a writer commits (and compacts) in another process", async () => {
    const dir = join(root, "live");
    const writer = spawn(process.execPath, ["--import", "tsx", join(here, "crash-writer.ts"), dir], {
      cwd: packageRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
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
});
