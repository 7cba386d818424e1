/**
 * The deterministic workload of the two-tier crash test, shared by the writer child
 * (`two-tier-crash-writer.ts`) and the checking parent (`two-tier-crash.test.ts`).
 */
import { batchIds, tokenCount, value } from "../storage/crash-model.js";

export const TIER_DIM = 8;
/** Index options: trains after a few batches and retrains (doubling rule) several times in a run. */
export const TIER_OPTIONS = { dim: TIER_DIM, codec: "residual-2" as const, diskTier: "float16" as const, minTrainTokens: 60, centroids: 8 };

/** Token vectors of document `id` (values in [-1, 1]). */
export function tierVectors(id: string): { data: Float32Array; length: number; dim: number } {
  const n = tokenCount(id);
  const data = new Float32Array(n * TIER_DIM);
  for (let t = 0; t < n; t++) for (let d = 0; d < TIER_DIM; d++) data[t * TIER_DIM + d] = Math.sin(value(id, t, d));
  return { data, length: n, dim: TIER_DIM };
}

/** Every 5th batch compacts after its add. */
export function tierCompacts(b: number): boolean {
  return b % 5 === 4;
}

/** Ids live after batches `0 … n − 1` (adds only). */
export function tierLiveIds(n: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < n; b++) out.push(...batchIds(b));
  return out;
}

export { batchIds };
