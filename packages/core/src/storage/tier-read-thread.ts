/**
 * Reader threads for the disk tier (two with two cores or more): they run read plans with sync
 * positional reads through the files' descriptors and check every block's CRC-32, while the
 * calling thread generates candidates and runs the kernel. On a 2-core machine, a two-tier search
 * at 100k documents spent most of its time on the calling thread checksumming (≈ 70 ms a query)
 * while libuv's four pool threads copied the same bytes out of the page cache and competed with
 * it for the cores; a thread doing both, beside the caller, measured faster than either.
 *
 * The output buffer moves to the thread and back (a transfer, not a copy): ONNX Runtime does not
 * take rows in a `SharedArrayBuffer`. The thread's program is source text
 * (`tier-read-thread-source.ts`), so it runs the same from `src` under a TypeScript loader, from
 * `dist`, and inside a user's bundle. If no thread can start or one stops, reads run on the
 * calling thread; set `MAXSIM_TIER_READ_THREAD=0` to always read there.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { packPlan, type PackedPlan, type ReadPlan } from "./tier-read-plan.js";
import type { PlanFailure } from "./tier-read-run.js";
import { READER_THREAD_SOURCE } from "./tier-read-thread-source.js";

interface Job {
  id: number;
  plan: PackedPlan;
  fds: number[];
  buffer: ArrayBuffer;
  outAt: number;
  outBytes: number;
}

interface Reply {
  id: number;
  buffer: ArrayBuffer;
  failure: PlanFailure | null;
}

/** What a plan run on the reader thread gives back: the (moved) buffer, and any failure. */
export interface ThreadRead {
  /** The output's `ArrayBuffer`, back from the thread: the one passed in is detached. */
  buffer: ArrayBuffer;
  failure: PlanFailure | null;
}

/** Runs read plans on the reader thread. */
export interface TierReadThread {
  /**
   * Runs `plan`, reading through `fds` (indexed like the plan's files) into `out`, whose whole
   * `ArrayBuffer` moves to the thread and back: the rows are in the returned `buffer`, at `out`'s
   * offset. A buffer Node marks untransferable (a `Buffer` pool's) is copied there by Node 20
   * and refused by later versions.
   *
   * @throws synchronously (a `DataCloneError`), with `out` untouched, when the job cannot be
   *   posted; the promise rejects with {@link ReaderThreadStopped} when the thread stops while
   *   this plan runs (its buffer is then lost)
   */
  run(plan: ReadPlan, fds: number[], out: Uint8Array): Promise<ThreadRead>;
  /** @internal Stops the thread (plans still running reject with {@link ReaderThreadStopped}). */
  terminate(): Promise<void>;
}

/** The reader thread stopped while a plan ran: the caller reads on its own thread instead. */
export class ReaderThreadStopped extends Error {
  constructor(cause: unknown) {
    super(`The disk-tier reader thread stopped (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
    this.name = "ReaderThreadStopped";
  }
}

class ReaderThread implements TierReadThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ThreadRead) => void; reject: (e: Error) => void }>();
  private next = 0;
  failed: ReaderThreadStopped | null = null;

  constructor() {
    // No inherited execArgv: the thread needs no loader, preload or inspector of the caller's.
    this.worker = new Worker(READER_THREAD_SOURCE, { eval: true, name: "maxsim disk-tier reader", execArgv: [] });
    this.worker.on("message", (reply: Reply) => {
      const job = this.pending.get(reply.id);
      if (job === undefined) return;
      this.settle(reply.id);
      job.resolve({ buffer: reply.buffer, failure: reply.failure });
    });
    const fail = (cause: unknown) => {
      this.failed ??= new ReaderThreadStopped(cause);
      for (const [id, job] of this.pending) {
        this.settle(id);
        job.reject(this.failed);
      }
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    // The thread keeps the process alive only while a read is pending. After the listeners:
    // adding a "message" listener refs the worker's port again.
    this.worker.unref();
  }

  /** Plans posted and not yet answered. */
  get load(): number {
    return this.pending.size;
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  run(plan: ReadPlan, fds: number[], out: Uint8Array): Promise<ThreadRead> {
    // A stopped worker drops posted messages without a word: the job would never settle.
    if (this.failed !== null) return Promise.reject(this.failed);
    const id = this.next++;
    const job: Job = { id, plan: packPlan(plan), fds, buffer: out.buffer as ArrayBuffer, outAt: out.byteOffset, outBytes: out.byteLength };
    // Throws before anything moves when the job cannot be posted (e.g. a SharedArrayBuffer).
    this.worker.postMessage(job, [job.buffer]);
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<ThreadRead>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

/**
 * Reader threads: two where there are two cores or more, so that with the page cache cold two
 * blocks' reads are in flight at once (one thread reads one block at a time); more would compete
 * with the kernel for the cores when the cache is warm.
 */
const POOL = Math.min(2, Math.max(1, availableParallelism()));
const pool: (ReaderThread | null)[] = [];
/** Threads started in this process: one that keeps stopping is not restarted for ever. */
let started = 0;
const MAX_STARTS = 3 * POOL;

/**
 * The least busy of the process's reader threads (started on first use, restarted if one
 * stopped), or `null` when they are off (`MAXSIM_TIER_READ_THREAD=0`) or none could be
 * (re)started: the caller then reads on its own thread. {@link TierReadThread.run} may still
 * throw before anything moves, when the output's buffer cannot be posted.
 */
export function tierReadThread(): TierReadThread | null {
  if (process.env.MAXSIM_TIER_READ_THREAD === "0") return null;
  let best: ReaderThread | null = null;
  for (let i = 0; i < POOL; i++) {
    let thread = pool[i] ?? null;
    if ((thread === null || thread.failed !== null) && started < MAX_STARTS) {
      started++;
      try {
        thread = pool[i] = new ReaderThread();
      } catch {
        thread = pool[i] = null;
      }
    }
    if (thread !== null && thread.failed === null && (best === null || thread.load < best.load)) best = thread;
  }
  return best;
}
