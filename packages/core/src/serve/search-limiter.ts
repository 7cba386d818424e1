/**
 * A counting semaphore for the read routes (search, explain, rerank, encode). Searches are mostly
 * synchronous JavaScript and ONNX work: running more of them at once than there are cores does
 * not add throughput, it only interleaves them on the event loop — and a write, whose commit is
 * a chain of awaits (encode, assign, write, fsync, rename), then waits a turn behind every one of
 * them at each await. Capping concurrent reads keeps writes (and each search) moving; waiting
 * requests are served first come, first served.
 */

/** FIFO semaphore. */
export class SearchLimiter {
  readonly limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Requests running now. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `fn` once fewer than `limit` others run. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next)
        next(); // hands the slot over: #active stays the same
      else this.#active--;
    }
  }
}
