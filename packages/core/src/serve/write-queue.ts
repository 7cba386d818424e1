/**
 * One writer: every write request runs through this queue, one at a time and in arrival order,
 * so the collection sees a single writer (as its storage requires) while searches keep running
 * concurrently on the index's consistent snapshots. `drain()` is what graceful shutdown awaits.
 */

/** A FIFO of async jobs run one after another. */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #done = 0;

  /** Jobs queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Jobs finished (successfully or not). */
  get done(): number {
    return this.#done;
  }

  /** Runs `job` after every job queued before it; resolves or rejects with its result. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => this.#finish(),
      () => this.#finish(),
    );
    return result;
  }

  #finish(): void {
    this.#pending--;
    this.#done++;
  }

  /** Resolves once every job queued so far has finished. */
  async drain(): Promise<void> {
    while (this.#pending > 0) await this.#tail;
  }
}
