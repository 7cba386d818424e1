/**
 * Reusable float buffers for the rows a search gathers (the candidates it rescores). A fresh
 * 25 MB array per search costs page faults and zeroing that, measured, took 3–30 ms where the
 * copy into a warm buffer took 2–6 ms. Buffers go back after the kernel has read them; searches
 * that overlap take different buffers, so none sees another's rows.
 */
const free: Float32Array[] = [];
const KEEP = 4; // buffers kept for reuse at most (overlapping searches beyond this allocate)

/** A buffer of at least `floats` floats (its contents are stale: the caller overwrites what it reads). */
export function takeScratch(floats: number): Float32Array {
  let best = -1;
  for (let i = 0; i < free.length; i++) if (free[i]!.length >= floats && (best < 0 || free[i]!.length < free[best]!.length)) best = i;
  if (best >= 0) return free.splice(best, 1)[0]!;
  return new Float32Array(floats);
}

/** Gives `buffer` back for reuse (the smallest is dropped once {@link KEEP} are held). */
export function releaseScratch(buffer: Float32Array): void {
  free.push(buffer);
  if (free.length > KEEP) {
    free.sort((a, b) => b.length - a.length);
    free.pop();
  }
}
