/**
 * The one error hierarchy of maxsim. Every error thrown on purpose by `@maxsim/core` (and passed
 * through unchanged by the wrappers) is a {@link MaxsimError} with a stable `code`, a message that
 * names the problem and the fix, and the underlying error as `cause` when one exists.
 *
 * Type checks use {@link MaxsimError.isInstance}, which tests a `Symbol.for` brand instead of
 * `instanceof`, so they survive two copies of the package in one process (the approach
 * `@langchain/core` takes for its own errors).
 */

/** Every stable error code. Add here, never rename: callers branch on these strings. */
export type MaxsimErrorCode =
  // model loading
  | "MODEL_NOT_FOUND"
  | "UNKNOWN_LAYOUT"
  | "CONFIG_MISSING"
  | "CONFIG_INVALID"
  | "MODEL_IO_MISMATCH"
  | "HUB_OFFLINE"
  | "UNSUPPORTED_MODEL"
  | "CHECKPOINT_INVALID"
  // encoding input
  | "EMPTY_INPUT"
  | "INVALID_INPUT"
  | "ABORTED"
  // index and storage
  | "INDEX_NOT_FOUND"
  | "INDEX_EXISTS"
  | "INDEX_CORRUPT"
  | "INDEX_VERSION"
  | "INDEX_LOCKED"
  | "INDEX_STALE"
  | "INDEX_CLOSED"
  | "INDEX_READ_ONLY"
  | "COMMIT_CONFLICT"
  | "DIM_MISMATCH"
  | "DUPLICATE_ID"
  | "INVALID_ID"
  | "INVALID_VECTOR"
  | "NOT_FOUND"
  | "MODEL_MISMATCH"
  | "INVALID_FILTER"
  | "INVALID_OPTION"
  // evaluation and CLI
  | "DATASET_INVALID"
  | "IO_ERROR"
  // HTTP server (`maxsim serve`)
  | "UNAUTHORIZED"
  | "PAYLOAD_TOO_LARGE"
  | "SERVER_CLOSING"
  // installation
  | "DEPENDENCY_MISSING";

const BRAND = Symbol.for("maxsim.error");

/** Options for {@link MaxsimError}. */
export interface MaxsimErrorOptions {
  /** The error this one wraps. */
  cause?: unknown;
}

/**
 * Base class of every maxsim error.
 *
 * @example
 * ```ts
 * import { MaxsimError } from "@maxsim/core";
 * try {
 *   throw new MaxsimError("EMPTY_INPUT", "No texts to encode. Pass at least one string.");
 * } catch (e) {
 *   if (MaxsimError.isInstance(e)) console.log(e.code); // "EMPTY_INPUT"
 * }
 * ```
 */
export class MaxsimError extends Error {
  readonly code: MaxsimErrorCode;
  readonly [BRAND] = true;

  constructor(code: MaxsimErrorCode, message: string, options: MaxsimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = "MaxsimError";
  }

  /** True when `value` is a maxsim error, from this copy of the package or another. */
  static isInstance(value: unknown): value is MaxsimError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * A file of an index is damaged (bad checksum, truncated, unparsable). Callers branch on it to
 * restore from a backup or rebuild, so it has its own class; `file` names the damaged file.
 *
 * @example
 * ```ts
 * import { IndexCorruptError } from "@maxsim/core";
 * const error: unknown = new IndexCorruptError("seg-000001.seg", "checksum mismatch");
 * if (IndexCorruptError.isInstance(error)) console.log(error.code, error.file); // INDEX_CORRUPT seg-000001.seg
 * ```
 */
export class IndexCorruptError extends MaxsimError {
  readonly file: string;

  constructor(file: string, problem: string, options: MaxsimErrorOptions = {}) {
    super(
      "INDEX_CORRUPT",
      `Index file ${file} is corrupt: ${problem}. Restore the index directory from a backup or rebuild it with \`maxsim index\`.`,
      options,
    );
    this.name = "IndexCorruptError";
    this.file = file;
  }

  /** True when `value` is an {@link IndexCorruptError} from any copy of the package. */
  static override isInstance(value: unknown): value is IndexCorruptError {
    return MaxsimError.isInstance(value) && value.code === "INDEX_CORRUPT";
  }
}

/**
 * Throws `ABORTED` when `signal` has fired; call between units of work.
 *
 * @throws `ABORTED` with the signal's reason as `cause`.
 * @example
 * ```ts
 * import { MaxsimError, throwIfAborted } from "@maxsim/core";
 * const controller = new AbortController();
 * throwIfAborted(controller.signal); // not aborted: returns
 * controller.abort();
 * try {
 *   throwIfAborted(controller.signal);
 * } catch (e) {
 *   if (MaxsimError.isInstance(e)) console.log(e.code); // ABORTED
 * }
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new MaxsimError("ABORTED", "The operation was aborted by its AbortSignal. Start it again without aborting to finish it.", {
      cause: signal.reason,
    });
  }
}
