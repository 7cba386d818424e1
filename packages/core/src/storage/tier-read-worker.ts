/**
 * One reader thread per process for the disk tier: it runs read plans with sync positional
 * reads through the files' descriptors and checks every block's CRC-32, while the calling thread
 * generates candidates and runs the kernel. On a 2-core machine, a two-tier search at 100k
 * documents spent most of its time on the calling thread checksumming (≈ 70 ms a query) while
 * libuv's four pool threads copied the same bytes out of the page cache and competed with it for
 * the cores; one thread doing both, beside the caller, measured faster than either.
 *
 * The output buffer moves to the thread and back (a transfer, not a copy): ONNX Runtime does not
 * take rows in a `SharedArrayBuffer`. The thread's code is one self-contained function started
 * with `eval`, so it works the same from `src` under a TypeScript loader, from `dist`, and inside
 * a user's bundle. Set `MAXSIM_TIER_READ_THREAD=0` to read on the calling thread instead.
 */
import { Worker } from "node:worker_threads";
import { MaxsimError } from "../errors.js";
import { packPlan, type PackedPlan, type ReadPlan } from "./tier-read-plan.js";
import type { PlanFailure } from "./tier-read-run.js";

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

/** The reader thread's whole program; it must not refer to anything outside itself. */
function readerThread(): void {
  const fs = process.getBuiltinModule("node:fs");
  const { crc32 } = process.getBuiltinModule("node:zlib");
  const port = process.getBuiltinModule("node:worker_threads").parentPort!;
  let scratch = new Uint8Array(0);
  let gap = new Uint8Array(0);

  const run = (plan: PackedPlan, fds: number[], out: Uint8Array): PlanFailure | null => {
    if (scratch.length < plan.scratchBytes) scratch = new Uint8Array(plan.scratchBytes);
    if (gap.length < plan.gapBytes) gap = new Uint8Array(plan.gapBytes);
    const view = (target: number, at: number, bytes: number) =>
      target === 0 ? out.subarray(at, at + bytes) : target === 1 ? scratch.subarray(at, at + bytes) : gap.subarray(0, bytes);
    const reads = plan.readFile.length;
    for (let r = 0; r < reads; r++) {
      const fd = fds[plan.readFile[r]!]!;
      const position = plan.readPosition[r]!;
      const targets: Uint8Array[] = [];
      let want = 0;
      for (let v = r === 0 ? 0 : plan.iovEnd[r - 1]!; v < plan.iovEnd[r]!; v++) {
        targets.push(view(plan.iovTarget[v]!, plan.iovAt[v]!, plan.iovBytes[v]!));
        want += plan.iovBytes[v]!;
      }
      try {
        const got = targets.length > 1 ? fs.readvSync(fd, targets, position) : -1;
        // One vector, or a short vectored read (signals, the end of the file): one by one.
        if (got !== want) {
          let at = position;
          for (const target of targets) {
            let done = 0;
            while (done < target.length) {
              const n = fs.readSync(fd, target, done, target.length - done, at + done);
              if (n === 0) return { kind: "short", read: r };
              done += n;
            }
            at += target.length;
          }
        }
      } catch (error) {
        return { kind: "io", read: r, message: error instanceof Error ? error.message : String(error) };
      }
      for (let c = r === 0 ? 0 : plan.checkEnd[r - 1]!; c < plan.checkEnd[r]!; c++) {
        if (crc32(view(plan.checkTarget[c]!, plan.checkAt[c]!, plan.checkBytes[c]!)) !== plan.checkCrc[c]) return { kind: "checksum", check: c };
      }
      for (let c = r === 0 ? 0 : plan.copyEnd[r - 1]!; c < plan.copyEnd[r]!; c++) {
        out.set(scratch.subarray(plan.copyFrom[c]!, plan.copyFrom[c]! + plan.copyBytes[c]!), plan.copyTo[c]!);
      }
    }
    return null;
  };

  port.on("message", (job: Job) => {
    let failure: PlanFailure | null;
    try {
      failure = run(job.plan, job.fds, new Uint8Array(job.buffer, job.outAt, job.outBytes));
    } catch (error) {
      failure = { kind: "io", read: -1, message: error instanceof Error ? error.message : String(error) };
    }
    const reply: Reply = { id: job.id, buffer: job.buffer, failure };
    port.postMessage(reply, [job.buffer]);
  });
}

// Bundlers and loaders may wrap named functions in a `__name` helper; the thread has none.
const SOURCE = `"use strict";var __name=(f)=>f;(${readerThread.toString()})();`;

/** Runs read plans on the reader thread. */
export interface TierReadThread {
  /**
   * Runs `plan`, reading through `fds` (indexed like the plan's files) into `out`, whose whole
   * `ArrayBuffer` moves to the thread and back: the rows are in the returned `buffer`, at `out`'s
   * offset. (A buffer Node marks untransferable, such as a `Buffer` pool's, is copied instead.)
   *
   * @throws synchronously (a `DataCloneError`), with `out` untouched, when its buffer cannot be
   *   posted at all; the promise rejects with MaxsimError `IO_ERROR` when the thread stops while
   *   this plan runs
   */
  run(plan: ReadPlan, fds: number[], out: Uint8Array): Promise<ThreadRead>;
}

class ReaderThread implements TierReadThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ThreadRead) => void; reject: (e: Error) => void }>();
  private next = 0;
  failed: Error | null = null;

  constructor() {
    this.worker = new Worker(SOURCE, { eval: true, name: "maxsim disk-tier reader" });
    // The thread keeps the process alive only while a read is pending.
    this.worker.unref();
    this.worker.on("message", (reply: Reply) => {
      const job = this.pending.get(reply.id);
      if (job === undefined) return;
      this.settle(reply.id);
      job.resolve({ buffer: reply.buffer, failure: reply.failure });
    });
    const fail = (cause: unknown) => {
      this.failed = new MaxsimError(
        "IO_ERROR",
        `The disk-tier reader thread stopped (${cause instanceof Error ? cause.message : String(cause)}). Search again: reads now run on the calling thread.`,
        { cause },
      );
      for (const [id, job] of this.pending) {
        this.settle(id);
        job.reject(this.failed);
      }
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  run(plan: ReadPlan, fds: number[], out: Uint8Array): Promise<ThreadRead> {
    const id = this.next++;
    const job: Job = { id, plan: packPlan(plan), fds, buffer: out.buffer as ArrayBuffer, outAt: out.byteOffset, outBytes: out.byteLength };
    // Throws before anything moves when the job cannot be posted (e.g. a SharedArrayBuffer).
    this.worker.postMessage(job, [job.buffer]);
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<ThreadRead>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

let shared: ReaderThread | null | undefined;

/**
 * The process's reader thread (started on first use), or `null` when it is off
 * (`MAXSIM_TIER_READ_THREAD=0`), could not start, or has stopped: the caller then reads on its
 * own thread. {@link TierReadThread.run} may still throw before anything moves, when the output's
 * buffer cannot be transferred.
 */
export function tierReadThread(): TierReadThread | null {
  if (process.env.MAXSIM_TIER_READ_THREAD === "0") return null;
  if (shared === undefined) {
    try {
      shared = new ReaderThread();
    } catch {
      shared = null;
    }
  }
  return shared === null || shared.failed !== null ? null : shared;
}
