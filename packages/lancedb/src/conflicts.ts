/**
 * Commits against LanceDB from several writers. LanceDB commits optimistically: a writer whose
 * commit races another's rebases and retries itself when the two are compatible (appends), and
 * fails with a retryable conflict otherwise (e.g. two merge-inserts or deletes touching the same
 * fragments). Those failures are retried here with backoff; past the budget they become
 * `COMMIT_CONFLICT`, and the failed commit changed nothing, so no document is half-written.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { MaxsimError } from "@maxsim/core";

const CONFLICT = /conflict|retryable|concurrent|was modified|Retry/i;

/** True for a LanceDB error that reports a commit race. */
export function isCommitConflict(error: unknown): boolean {
  return error instanceof Error && CONFLICT.test(error.message);
}

/**
 * Runs `commit`, retrying LanceDB commit conflicts up to `attempts` times.
 *
 * @throws MaxsimError `COMMIT_CONFLICT` when every attempt conflicted (nothing was committed by the last one)
 */
export async function withConflictRetry<T>(what: string, commit: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commit();
    } catch (error) {
      if (!isCommitConflict(error)) throw error;
      if (attempt >= attempts) {
        throw new MaxsimError(
          "COMMIT_CONFLICT",
          `${what} lost ${attempts} commit races against other writers of the same LanceDB table; nothing of this call's last batch was written. Retry the call, or funnel writes through fewer writers.`,
          { cause: error },
        );
      }
      await sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}
