/**
 * The index's read/write gate. Writes run one at a time (`exclusive`, a promise chain). Searches
 * are not serialised with writes (`read`): they hold views of the offsets, ids, arena rows and
 * centroid ids across awaits, so every change that rewrites those in place or replaces them
 * together runs in `quiesce`: after running searches finish, before waiting ones start, in one
 * synchronous block — a search sees the state before or after it, never a mix.
 */
import { MaxsimError } from "../errors.js";

/** Serialises writes and fences state swaps against running searches; see the module comment. */
export class ReadWriteGate {
  private writing: Promise<unknown> = Promise.resolve();
  private closedFlag = false;
  /** Searches in flight, and the swap waiting for them to finish. */
  private reads = 0;
  private readsDrained: (() => void) | null = null;
  private swapPending: Promise<void> | null = null;

  /** True after {@link ReadWriteGate.close}. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs `fn` after every earlier write (whether it failed or not); `INDEX_CLOSED` once closed. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closedFlag) return Promise.reject(new MaxsimError("INDEX_CLOSED", "The index is closed. Open it again to use it."));
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Runs a search; a pending swap first (searches started earlier finish before it). */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.swapPending !== null) await this.swapPending;
    this.reads++;
    try {
      return await fn();
    } finally {
      if (--this.reads === 0) this.readsDrained?.();
    }
  }

  /** Runs `change` once no search is running (searches arriving meanwhile wait for it). */
  async quiesce(change: () => void): Promise<void> {
    let release!: () => void;
    this.swapPending = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.reads > 0) await new Promise<void>((resolve) => (this.readsDrained = resolve));
      this.readsDrained = null;
      change();
    } finally {
      this.swapPending = null;
      release();
    }
  }

  /** Waits for the running writes, then refuses new ones. */
  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    this.closedFlag = true;
  }
}
