/**
 * Child process of the crash test: commits batches of the deterministic workload in a loop and
 * prints `open <generation>` once open, then `<batch> <generation>` after each commit returns. The parent SIGKILLs it at random.
 * Usage: node --import tsx crash-writer.ts <dir>
 */
import { IndexStore } from "../../src/storage/index.js";
import { DIM, batchDeletes, batchIds, compacts, encodeDocs } from "./crash-model.js";

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
