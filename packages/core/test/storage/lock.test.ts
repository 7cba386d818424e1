import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { IndexStore, acquireWriterLock, writeFileAtomic } from "../../src/storage/index.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-lock-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `idx-${n++}`);

async function error(p: Promise<unknown>): Promise<MaxsimError> {
  try {
    await p;
  } catch (e) {
    if (MaxsimError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected an error");
}

/** The pid of a process that has exited (and been reaped), so it is certainly not running. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("writer lock", () => {
  it("refuses a second writer with INDEX_LOCKED naming the pid, while readers still open", async () => {
    const dir = freshDir();
    const writer = await IndexStore.create(dir, { dim: 2 });
    const e = await error(IndexStore.open(dir));
    expect(e.code).toBe("INDEX_LOCKED");
    expect(e.message).toContain(`process ${process.pid}`);
    expect(e.message).toContain(join(dir, "LOCK"));
    expect((await error(IndexStore.create(dir, { dim: 2 }))).code).toBe("INDEX_EXISTS");
    const reader = await IndexStore.open(dir, { readOnly: true });
    expect(reader.manifest.generation).toBe(0);
    await writer.close();
    const second = await IndexStore.open(dir);
    await second.commit({ addSegments: [{ ids: ["a"], columns: {} }] });
    await second.close();
    expect(await readdir(dir)).not.toContain("LOCK");
  });

  it("takes over a stale lock whose process is dead", async () => {
    const dir = freshDir();
    await (await IndexStore.create(dir, { dim: 2 })).close();
    const pid = deadPid();
    await writeFile(join(dir, "LOCK"), JSON.stringify({ pid, hostname: hostname(), nonce: "old", acquiredAt: "then" }));
    const store = await IndexStore.open(dir);
    const lock = JSON.parse(await readFile(join(dir, "LOCK"), "utf8")) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    await store.close();
  });

  it("a writer open deletes the lock temp file of a writer killed while locking, but not a live locker's", async () => {
    const dir = freshDir();
    await (await IndexStore.create(dir, { dim: 2 })).close();
    const dead = ".tmp-00dead00-LOCK";
    const live = ".tmp-00a11ce0-LOCK";
    await writeFile(join(dir, dead), JSON.stringify({ pid: deadPid(), hostname: hostname(), nonce: "00dead00", acquiredAt: "then" }));
    await writeFile(join(dir, live), JSON.stringify({ pid: process.pid, hostname: hostname(), nonce: "00a11ce0", acquiredAt: "now" }));
    const store = await IndexStore.open(dir);
    await store.commit({ addSegments: [{ ids: ["a"], columns: {} }] });
    const files = await readdir(dir);
    await store.close();
    expect(files).not.toContain(dead);
    expect(files).toContain(live);
  });

  it("takes over a lock whose pid was reused by a later process (start time differs)", async () => {
    const dir = freshDir();
    await (await IndexStore.create(dir, { dim: 2 })).close();
    let ok = true;
    try {
      readFileSync("/proc/self/stat");
    } catch {
      ok = false; // not Linux: start times are unavailable, nothing to test
    }
    if (!ok) return;
    await writeFile(join(dir, "LOCK"), JSON.stringify({ pid: process.pid, hostname: hostname(), startTime: 1, nonce: "x", acquiredAt: "then" }));
    await (await IndexStore.open(dir)).close();
  });

  it("does not take over locks of other hosts or unreadable locks", async () => {
    const dir = freshDir();
    await (await IndexStore.create(dir, { dim: 2 })).close();
    await writeFile(join(dir, "LOCK"), JSON.stringify({ pid: deadPid(), hostname: "elsewhere.example", nonce: "x", acquiredAt: "then" }));
    const e = await error(IndexStore.open(dir));
    expect(e.code).toBe("INDEX_LOCKED");
    expect(e.message).toContain("elsewhere.example");
    await writeFile(join(dir, "LOCK"), "");
    expect((await error(IndexStore.open(dir))).code).toBe("INDEX_LOCKED");
  });

  it("release only removes our own lock", async () => {
    const dir = freshDir();
    await (await IndexStore.create(dir, { dim: 2 })).close();
    const lock = await acquireWriterLock(dir);
    await writeFile(join(dir, "LOCK"), JSON.stringify({ pid: 1, hostname: "other", nonce: "theirs", acquiredAt: "now" }));
    await lock.release();
    expect(JSON.parse(await readFile(join(dir, "LOCK"), "utf8")).nonce).toBe("theirs");
  });
});

describe("writeFileAtomic", () => {
  it("replaces the content and leaves no temp files", async () => {
    const dir = freshDir();
    await IndexStore.create(dir, { dim: 1 }).then((s) => s.close());
    const path = join(dir, "x.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4]));
    expect([...(await readFile(path))]).toEqual([4]);
    expect((await readdir(dir)).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  });
});
