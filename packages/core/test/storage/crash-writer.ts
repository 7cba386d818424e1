/**
 * Child process of the crash test: commits batches of the deterministic workload in a loop and
 * prints `open <generation>` once open, then `<batch> <generation>` after each commit returns.
 * The parent SIGKILLs it at random moments; or, with `MAXSIM_CRASH_AT=<fn>:<n>:<before|after>`
 * (fn = rename | unlink | link | fsync), it SIGKILLs itself around its n-th call of that file
 * operation, to hit each step of a commit deterministically.
 * Usage: node --import tsx crash-writer.ts <dir>
 */
import { promises as fsp } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { DIM, batchDeletes, batchIds, compacts, encodeDocs } from "./crash-model.js";

const crashAt = process.env.MAXSIM_CRASH_AT?.split(":");
if (crashAt) {
  const [fn, nth, when] = crashAt as [string, string, string];
  let calls = 0;
  const die = () => process.kill(process.pid, "SIGKILL");
  const hit = () => ++calls === Number(nth);
  const wrap =
    <A extends unknown[], R>(orig: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const now = hit();
      if (now && when === "before") die();
      const result = await orig(...args);
      if (now && when === "after") die();
      return result;
    };
  if (fn === "fsync") {
    // FileHandle.sync lives on the prototype of the handles `open` returns.
    const open = fsp.open;
    fsp.open = (async (...args: Parameters<typeof open>) => {
      const handle = await open(...args);
      handle.sync = wrap(handle.sync.bind(handle));
      return handle;
    }) as typeof open;
  } else {
    const target = fsp as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    target[fn] = wrap(target[fn]!.bind(fsp));
  }
  syncBuiltinESMExports(); // make `import { rename } from "node:fs/promises"` see the wrappers
}

const { IndexStore } = await import("../../src/storage/index.js");
const dir = process.argv[2]!;
const store = await IndexStore.open(dir).catch(() => IndexStore.create(dir, { dim: DIM, meta: { nextBatch: 0 } }));
process.stdout.write(`open ${store.manifest.generation}\n`);
for (let b = store.manifest.meta.nextBatch as number; b < 100000; b++) {
  const removeSegments: string[] = [];
  const addSegments = [];
  if (compacts(b)) {
    // Compaction: rewrite every live document of the existing segments into one segment.
    const kept: string[] = [];
    const gone = new Set(batchDeletes(b));
    for (const s of store.manifest.segments) {
      const seg = await store.readSegment(s.name);
      kept.push(...seg.ids.filter((id) => !seg.deleted.has(id) && !gone.has(id)));
      removeSegments.push(s.name);
    }
    addSegments.push(encodeDocs(kept));
  }
  addSegments.push(encodeDocs(batchIds(b)));
  const m = await store.commit({
    addSegments,
    removeSegments,
    deleteIds: batchDeletes(b),
    blobs: { state: new TextEncoder().encode(String(b)) },
    meta: { nextBatch: b + 1 },
  });
  process.stdout.write(`${b} ${m.generation}\n`);
}
