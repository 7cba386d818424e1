// Read plans over real disk-tier files: the reader thread (sync reads through the descriptors)
// and the calling thread (async reads) produce the same bytes and the same errors, and the
// buffer that moves to the thread comes back whole.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { IndexCorruptError } from "../../src/errors.js";
import { DiskTierFile, encodeDiskTier } from "../../src/storage/disk-tier.js";
import { IndexStore } from "../../src/storage/index.js";
import { ASYNC_GAP_BLOCKS, emptyPlan, planRanges, type ReadPlan, type RowRange } from "../../src/storage/tier-read-plan.js";
import { planError, runPlanHere } from "../../src/storage/tier-read-run.js";
import { ReaderThreadStopped, tierReadThread } from "../../src/storage/tier-read-thread.js";
import { rng } from "../helpers.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-tier-thread-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const ROW = 24; // 170 rows per 4 KB block
const contents = [0, 1].map((seed) => {
  const r = rng(11 + seed);
  return Uint8Array.from({ length: ROW * (900 + 300 * seed) }, () => Math.floor(r() * 256));
});

async function openFiles(damage?: (bytes: Uint8Array, n: number) => void) {
  const dir = join(root, `store-${Math.random().toString(36).slice(2)}`);
  const store = await IndexStore.create(dir, { dim: 1 });
  const blobs: Record<string, Uint8Array> = {};
  contents.forEach((data, n) => {
    const bytes = encodeDiskTier(data, ROW);
    damage?.(bytes, n);
    blobs[`tier-${n}`] = bytes;
  });
  await store.commit({ blobs });
  const files = await Promise.all(contents.map(async (_, n) => DiskTierFile.open((await store.openBlob(`tier-${n}`))!)));
  return { dir, files, close: async () => (await Promise.all(files.map((f) => f.close())), await store.close()) };
}

/** Random ranges of both files, laid out back to back in the output. */
function randomRanges(r: () => number): { byFile: RowRange[][]; bytes: number } {
  let at = 0;
  const byFile = contents.map((data) =>
    Array.from({ length: 1 + Math.floor(r() * 10) }, () => {
      const rows = data.length / ROW;
      const from = Math.floor(r() * rows);
      const range = { from, to: Math.min(rows, from + Math.floor(r() * 400)), at };
      at += (range.to - range.from) * ROW;
      return range;
    }),
  );
  return { byFile, bytes: at };
}

function expected(byFile: RowRange[][], bytes: number): Uint8Array {
  const want = new Uint8Array(bytes);
  byFile.forEach((ranges, n) => ranges.forEach((x) => want.set(contents[n]!.subarray(x.from * ROW, x.to * ROW), x.at)));
  return want;
}

function plan(files: DiskTierFile[], byFile: RowRange[][], gap: number | null): ReadPlan {
  const p = emptyPlan();
  files.forEach((file, f) => planRanges(p, f, file, byFile[f]!, gap));
  return p;
}

const fdsOf = (files: DiskTierFile[]) => files.map((f) => f.source.fd!);

describe("read plans on the reader thread and on the calling thread", () => {
  it("give the same bytes for random ranges of two files, and the thread hands the buffer back", async () => {
    const thread = tierReadThread();
    expect(thread).not.toBeNull();
    const { files, close } = await openFiles();
    const r = rng(3);
    for (let trial = 0; trial < 25; trial++) {
      const { byFile, bytes } = randomRanges(r);
      const want = expected(byFile, bytes);
      const lent = new Uint8Array(bytes + 16).subarray(8, 8 + bytes);
      const lentBuffer = lent.buffer;
      const done = await thread!.run(plan(files, byFile, 0), fdsOf(files), lent);
      expect(done.failure).toBeNull();
      expect(lentBuffer.byteLength).toBe(0); // moved to the thread: detached here
      expect(done.buffer.byteLength).toBe(bytes + 16);
      expect(Buffer.from(new Uint8Array(done.buffer, 8, bytes)).equals(Buffer.from(want)), `thread, trial ${trial}`).toBe(true);
      for (const gap of [ASYNC_GAP_BLOCKS, null]) {
        const p = plan(files, byFile, gap);
        const out = new Uint8Array(bytes);
        await runPlanHere(p, files, out, new Uint8Array(p.scratchBytes));
        expect(Buffer.from(out).equals(Buffer.from(want)), `here (gap ${gap}), trial ${trial}`).toBe(true);
      }
    }
    await close();
  });

  it("name the damaged block of the right file, and spare reads that do not need it", async () => {
    // File 1, row 400: block 2 (rows 340–509).
    const { files, close } = await openFiles((bytes, n) => {
      if (n === 1) bytes[bytes.length - contents[1]!.length + 400 * ROW + 5]! ^= 0x04;
    });
    const thread = tierReadThread()!;
    const clean = [[{ from: 0, to: 500, at: 0 }], [{ from: 0, to: 10, at: 500 * ROW }]];
    const ok = await thread.run(plan(files, clean, 0), fdsOf(files), new Uint8Array(510 * ROW));
    expect(ok.failure).toBeNull();
    expect(Buffer.from(new Uint8Array(ok.buffer)).equals(Buffer.from(expected(clean, 510 * ROW)))).toBe(true);
    const bad = [[{ from: 0, to: 10, at: 0 }], [{ from: 395, to: 405, at: 10 * ROW }]];
    const p = plan(files, bad, 0);
    const failed = await thread.run(p, fdsOf(files), new Uint8Array(20 * ROW));
    expect(failed.failure?.kind).toBe("checksum");
    const error = planError(failed.failure!, p, files);
    expect(IndexCorruptError.isInstance(error)).toBe(true);
    expect((error as IndexCorruptError).file).toMatch(/tier-1\.bin$/);
    expect(error.message).toContain("block 2 (rows 340–509)");
    const here = await runPlanHere(p, files, new Uint8Array(20 * ROW), new Uint8Array(p.scratchBytes)).catch((e: unknown) => e);
    expect((here as Error).message).toBe(error.message);
    await close();
  });

  it("report a file cut short under an open reader as truncated, on both threads", async () => {
    const { dir, files, close } = await openFiles();
    const path = join(dir, files[0]!.source.file);
    await truncate(path, files[0]!.dataStart + 100 * ROW); // rows 100+ are gone
    const ranges = [[{ from: 50, to: 300, at: 0 }], []];
    const p = plan(files, ranges, 0);
    const failed = await tierReadThread()!.run(p, fdsOf(files), new Uint8Array(250 * ROW));
    expect(failed.failure?.kind).toBe("short");
    const error = planError(failed.failure!, p, files);
    expect(IndexCorruptError.isInstance(error) && error.message).toMatch(/truncated: a read of blocks up to 1 came back short/);
    const here = await runPlanHere(p, files, new Uint8Array(250 * ROW), new Uint8Array(p.scratchBytes)).catch((e: unknown) => e);
    expect(IndexCorruptError.isInstance(here) && (here as Error).message).toMatch(/truncated: a read of blocks up to 1 came back short/);
    await close();
  });

  it("never detach a Buffer from Node's shared pool: Node 20 copies it to the thread, later versions refuse it", async () => {
    const { files, close } = await openFiles();
    const pooled = Buffer.allocUnsafe(10 * ROW);
    const ranges = [[{ from: 0, to: 10, at: 0 }], []];
    let done: Awaited<ReturnType<NonNullable<ReturnType<typeof tierReadThread>>["run"]>> | null = null;
    try {
      done = await tierReadThread()!.run(plan(files, ranges, 0), fdsOf(files), pooled);
    } catch (error) {
      expect((error as Error).name).toBe("DataCloneError");
    }
    expect(pooled.buffer.byteLength).toBeGreaterThan(0);
    if (done !== null) {
      expect(done.buffer).not.toBe(pooled.buffer);
      expect(Buffer.from(new Uint8Array(done.buffer, pooled.byteOffset, 10 * ROW)).equals(Buffer.from(contents[0]!.subarray(0, 10 * ROW)))).toBe(true);
    }
    await close();
  });
  it("a thread stopped mid-plan rejects it (its buffer gone with it), refuses later plans at once, and the next use starts a new one", async () => {
    const { files, close } = await openFiles();
    const thread = tierReadThread()!;
    const ranges = [[{ from: 0, to: 900, at: 0 }], [{ from: 0, to: 1200, at: 900 * ROW }]];
    const lent = new Uint8Array(2100 * ROW);
    const running = thread.run(plan(files, ranges, 0), fdsOf(files), lent);
    await thread.terminate();
    const stopped = await running.then(
      () => "finished first",
      (e: unknown) => e,
    );
    // The thread may finish this small plan before it stops; when it did not, the plan rejects.
    if (stopped !== "finished first") expect(stopped).toBeInstanceOf(ReaderThreadStopped);
    expect(lent.buffer.byteLength).toBe(0);
    await expect(thread.run(plan(files, ranges, 0), fdsOf(files), new Uint8Array(2100 * ROW))).rejects.toBeInstanceOf(ReaderThreadStopped);
    const next = tierReadThread()!;
    expect(next).not.toBe(thread);
    const done = await next.run(plan(files, ranges, 0), fdsOf(files), new Uint8Array(2100 * ROW));
    expect(Buffer.from(new Uint8Array(done.buffer)).equals(Buffer.from(expected(ranges, 2100 * ROW)))).toBe(true);
    await close();
  });

  it("a failure on the thread that is not a read's (an allocation) comes back as internal, and the thread keeps serving", async () => {
    const { files, close } = await openFiles();
    const ranges = [[{ from: 0, to: 10, at: 0 }], []];
    const impossible = { ...plan(files, ranges, 0), scratchBytes: 2 ** 52 };
    const failed = await tierReadThread()!.run(impossible, fdsOf(files), new Uint8Array(10 * ROW));
    expect(failed.failure?.kind).toBe("internal");
    expect(planError(failed.failure!, impossible, files).message).toContain("MAXSIM_TIER_READ_THREAD=0");
    const ok = await tierReadThread()!.run(plan(files, ranges, 0), fdsOf(files), new Uint8Array(10 * ROW));
    expect(ok.failure).toBeNull();
    await close();
  });
  it("do not keep a process alive: a script that used the threads exits by itself", async () => {
    const script = join(root, "uses-threads.mjs");
    const module = pathToFileURL(fileURLToPath(new URL("../../src/storage/tier-read-thread.ts", import.meta.url))).href;
    // Starts the threads and runs one (empty) plan on one, then returns from the module.
    await writeFile(
      script,
      `import { tierReadThread } from ${JSON.stringify(module)};
const done = await tierReadThread().run({ readFile: [], readPosition: [], readLastBlock: [], iovEnd: [], checkEnd: [], copyEnd: [], iovTarget: [], iovAt: [], iovBytes: [], checkTarget: [], checkAt: [], checkBytes: [], checkCrc: [], checkBlock: [], copyFrom: [], copyTo: [], copyBytes: [], scratchBytes: 0, gapBytes: 0 }, [], new Uint8Array(8));
console.log(done.failure === null ? "ran" : "failed");
`,
    );
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const child = spawnSync(process.execPath, ["--conditions=@maxsim/source", "--import", tsx, script], { encoding: "utf8", timeout: 30000 });
    expect(child.stdout.trim()).toBe("ran");
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.status).toBe(0);
  });
});
