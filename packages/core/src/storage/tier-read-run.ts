/**
 * Runs a {@link ReadPlan} on the calling thread with the sources' async reads, and turns a plan's
 * failure (from here or from the reader thread) into the error a caller sees: a damaged or short
 * block is an {@link IndexCorruptError} naming the file and the block, never a wrong value.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { crc32 } from "./crc32.js";
import type { PositionalSource } from "./disk-tier.js";
import type { ReadPlan, TierGeometry } from "./tier-read-plan.js";

/** A file a plan reads: its geometry and the source its bytes come from. */
export interface PlanFile extends TierGeometry {
  readonly source: PositionalSource;
}

/**
 * Why a plan stopped: a block failed its check, a read came back short, a read failed, or (on the
 * reader thread) something other than a read failed, such as an allocation.
 */
export type PlanFailure =
  | { kind: "checksum"; check: number }
  | { kind: "short"; read: number }
  | { kind: "io"; read: number; message: string }
  | { kind: "internal"; message: string };

/**
 * Reads, checks and copies everything `plan` says, all reads in flight at once. Returns (or
 * throws) only once no read still writes into `out` or `scratch`: the caller reuses them after.
 *
 * @throws the error of {@link planError} for the first failure
 */
export async function runPlanHere(plan: ReadPlan, files: readonly PlanFile[], out: Uint8Array, scratch: Uint8Array): Promise<void> {
  const gap = new Uint8Array(plan.gapBytes);
  const view = (target: number, at: number, bytes: number) =>
    target === 0 ? out.subarray(at, at + bytes) : target === 1 ? scratch.subarray(at, at + bytes) : gap.subarray(0, bytes);
  await settleAll(
    plan.readFile.map(async (f, r) => {
      const { source } = files[f]!;
      const position = plan.readPosition[r]!;
      const targets: Uint8Array[] = [];
      let want = 0;
      for (let v = r === 0 ? 0 : plan.iovEnd[r - 1]!; v < plan.iovEnd[r]!; v++) {
        targets.push(view(plan.iovTarget[v]!, plan.iovAt[v]!, plan.iovBytes[v]!));
        want += plan.iovBytes[v]!;
      }
      const got = targets.length > 1 && source.readvInto !== undefined ? await source.readvInto(targets, position) : -1;
      // One vector, no vectored read, or a short one (signals, the end of the file): one by one.
      if (got !== want) {
        let at = position;
        for (const target of targets) {
          if ((await readFully(source, target, at)) !== target.length) throw planError({ kind: "short", read: r }, plan, files);
          at += target.length;
        }
      }
      for (let c = r === 0 ? 0 : plan.checkEnd[r - 1]!; c < plan.checkEnd[r]!; c++) {
        if (crc32(view(plan.checkTarget[c]!, plan.checkAt[c]!, plan.checkBytes[c]!)) !== plan.checkCrc[c])
          throw planError({ kind: "checksum", check: c }, plan, files);
      }
      for (let c = r === 0 ? 0 : plan.copyEnd[r - 1]!; c < plan.copyEnd[r]!; c++) {
        out.set(scratch.subarray(plan.copyFrom[c]!, plan.copyFrom[c]! + plan.copyBytes[c]!), plan.copyTo[c]!);
      }
    }),
  );
}

async function readFully(source: PositionalSource, target: Uint8Array, position: number): Promise<number> {
  if (source.readInto !== undefined) return source.readInto(target, position);
  const bytes = await source.read(position, target.length);
  target.set(bytes.subarray(0, target.length));
  return Math.min(bytes.length, target.length);
}

/** Block `b` of `file` does not match its CRC-32 (every reader of the disk tier says it so). */
export function blockChecksumError(file: PlanFile, b: number): IndexCorruptError {
  const last = Math.min(file.rows, (b + 1) * file.blockRows) - 1;
  return new IndexCorruptError(file.source.file, `checksum mismatch in block ${b} (rows ${b * file.blockRows}–${last})`);
}

/** A read of `file` up to block `last` came back short. */
export function shortReadError(file: PlanFile, last: number): IndexCorruptError {
  return new IndexCorruptError(file.source.file, `truncated: a read of blocks up to ${last} came back short (the file is shorter than its header says)`);
}

/** The error a caller sees for `failure` of `plan` over `files`. */
export function planError(failure: PlanFailure, plan: ReadPlan, files: readonly PlanFile[]): Error {
  if (failure.kind === "checksum") {
    let r = 0;
    while (plan.checkEnd[r]! <= failure.check) r++;
    return blockChecksumError(files[plan.readFile[r]!]!, plan.checkBlock[failure.check]!);
  }
  if (failure.kind === "internal") {
    return new MaxsimError(
      "IO_ERROR",
      `Reading the disk tier failed on the reader thread: ${failure.message}. Set MAXSIM_TIER_READ_THREAD=0 to read on the calling thread.`,
    );
  }
  const file = files[plan.readFile[failure.read]!]!;
  if (failure.kind === "short") return shortReadError(file, plan.readLastBlock[failure.read]!);
  const name = file.source.file;
  return new MaxsimError("IO_ERROR", `Could not read disk-tier file ${name}: ${failure.message}. Check the disk and the permissions of the index directory.`);
}

/**
 * `Promise.all` that waits for every promise before rejecting with the first failure: reads
 * still in flight write into buffers that the caller reuses once this settles.
 */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}
