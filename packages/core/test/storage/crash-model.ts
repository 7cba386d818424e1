/**
 * The deterministic workload of the crash test, shared by the writer child process
 * (`crash-writer.ts`) and the checking parent (`crash.test.ts`): what batch `b` adds and deletes,
 * and therefore exactly which documents exist after the first `n` batches.
 */

export const DIM = 4;

/** Ids that batch `b` adds. */
export function batchIds(b: number): string[] {
  const size = 1 + ((b * 7919) % 23);
  return Array.from({ length: size }, (_, i) => `b${b}-${i}`);
}

/** Tokens of a document (varies per id so offsets matter). */
export function tokenCount(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return 1 + (h % 5);
}

/** The vector values of document `id`: token t, component d. */
export function value(id: string, t: number, d: number): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return ((h >>> 8) % 10000) / 100 + t + d / 8;
}

/** Ids that batch `b` deletes (every 4th batch deletes the even rows of batch b − 2). */
export function batchDeletes(b: number): string[] {
  return b % 4 === 3 ? batchIds(b - 2).filter((_, i) => i % 2 === 0) : [];
}

/** Every 5th batch also compacts: rewrites all live documents into one segment. */
export function compacts(b: number): boolean {
  return b % 5 === 4;
}

/** Live ids after batches `0 … n − 1` were committed. */
export function liveIds(n: number): Set<string> {
  const live = new Set<string>();
  for (let b = 0; b < n; b++) {
    for (const id of batchDeletes(b)) live.delete(id);
    for (const id of batchIds(b)) live.add(id);
  }
  return live;
}

/** Columns + payloads of a list of documents, the way the writer stores them. */
export function encodeDocs(ids: readonly string[]) {
  const offsets = new Int32Array(ids.length + 1);
  ids.forEach((id, i) => (offsets[i + 1] = offsets[i]! + tokenCount(id)));
  const vectors = new Float32Array(offsets[ids.length]! * DIM);
  ids.forEach((id, i) => {
    for (let t = 0; t < tokenCount(id); t++) for (let d = 0; d < DIM; d++) vectors[(offsets[i]! + t) * DIM + d] = value(id, t, d);
  });
  return { ids, columns: { vectors, offsets }, payloads: ids.map((id) => ({ text: `text ${id}` })) };
}
