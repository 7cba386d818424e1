/**
 * The disk tier's reader thread, as the source text it is started from (`new Worker(source,
 * { eval: true })`). It is text, not a function's `toString()`: bundlers, minifiers and coverage
 * tools rewrite functions into code that calls helpers the thread does not have (esbuild's
 * `__name` renamed under `minify` + `keepNames`, istanbul's counters), and a separate `.js`
 * file would not survive a user's bundle. `tier-read-thread.test.ts` runs it on real files.
 *
 * Protocol: the thread receives `{ id, plan, fds, buffer, outAt, outBytes }` (`plan` a
 * `PackedPlan`, `buffer` transferred) and answers `{ id, buffer, failure }` (`buffer` transferred
 * back, `failure` a `PlanFailure` or null). It does what `runPlanHere` does, with sync reads: per
 * read, one `preadv` (or `pread`s to the end when it comes back short), then the CRC-32 of each
 * block it covers, then the copies from the scratch to the output.
 */
export const READER_THREAD_SOURCE = String.raw`"use strict";
const fs = require("node:fs");
const { crc32 } = require("node:zlib");
const { parentPort } = require("node:worker_threads");
let scratch = new Uint8Array(0);
let gap = new Uint8Array(0);

function run(plan, fds, out) {
  if (scratch.length < plan.scratchBytes) scratch = new Uint8Array(plan.scratchBytes);
  if (gap.length < plan.gapBytes) gap = new Uint8Array(plan.gapBytes);
  const view = (target, at, bytes) => (target === 0 ? out.subarray(at, at + bytes) : target === 1 ? scratch.subarray(at, at + bytes) : gap.subarray(0, bytes));
  for (let r = 0; r < plan.readFile.length; r++) {
    const fd = fds[plan.readFile[r]];
    const position = plan.readPosition[r];
    const targets = [];
    let want = 0;
    for (let v = r === 0 ? 0 : plan.iovEnd[r - 1]; v < plan.iovEnd[r]; v++) {
      targets.push(view(plan.iovTarget[v], plan.iovAt[v], plan.iovBytes[v]));
      want += plan.iovBytes[v];
    }
    try {
      const got = targets.length > 1 ? fs.readvSync(fd, targets, position) : -1;
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
    for (let c = r === 0 ? 0 : plan.checkEnd[r - 1]; c < plan.checkEnd[r]; c++) {
      if (crc32(view(plan.checkTarget[c], plan.checkAt[c], plan.checkBytes[c])) !== plan.checkCrc[c]) return { kind: "checksum", check: c };
    }
    for (let c = r === 0 ? 0 : plan.copyEnd[r - 1]; c < plan.copyEnd[r]; c++) {
      out.set(scratch.subarray(plan.copyFrom[c], plan.copyFrom[c] + plan.copyBytes[c]), plan.copyTo[c]);
    }
  }
  return null;
}

parentPort.on("message", (job) => {
  let failure;
  try {
    failure = run(job.plan, job.fds, new Uint8Array(job.buffer, job.outAt, job.outBytes));
  } catch (error) {
    failure = { kind: "internal", message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage({ id: job.id, buffer: job.buffer, failure }, [job.buffer]);
});
`;
