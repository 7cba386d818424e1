/**
 * Errors over HTTP: every failure leaves the server as `{ error: { code, message } }` with the
 * core {@link MaxsimError} code (the message names the problem and the fix) and the status a
 * client can branch on, as next-plaid's `error.rs` maps its error kinds.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { MaxsimError } from "../errors.js";
import type { MaxsimErrorCode } from "../errors.js";

const STATUS: Partial<Record<MaxsimErrorCode, ContentfulStatusCode>> = {
  EMPTY_INPUT: 400,
  INVALID_INPUT: 400,
  INVALID_FILTER: 400,
  INVALID_OPTION: 400,
  INVALID_ID: 400,
  INVALID_VECTOR: 400,
  DIM_MISMATCH: 400,
  UNAUTHORIZED: 401,
  INDEX_READ_ONLY: 403,
  NOT_FOUND: 404,
  DUPLICATE_ID: 409,
  INDEX_LOCKED: 409,
  INDEX_STALE: 409,
  PAYLOAD_TOO_LARGE: 413,
  ABORTED: 503,
  INDEX_CLOSED: 503,
  SERVER_CLOSING: 503,
};

/** The JSON body of an error response. */
export interface ErrorResponseBody {
  error: { code: string; message: string };
}

/**
 * The HTTP status `maxsim serve` answers a core error code with: 400 invalid input, 401 auth,
 * 403 read-only, 404 not found, 409 conflicts (duplicate id, locked, stale), 413 too large, 503
 * closing; anything else 500.
 *
 * @param code - a {@link MaxsimErrorCode}
 * @example
 * ```ts
 * import { statusOf } from "@maxsim/core/serve";
 * console.log(statusOf("INVALID_FILTER"), statusOf("DUPLICATE_ID"), statusOf("SERVER_CLOSING"), statusOf("IO_ERROR")); // 400 409 503 500
 * ```
 */
export function statusOf(code: MaxsimErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? 500;
}

/**
 * Status and body for anything a handler threw. Errors that are not maxsim errors become a 500
 * `INTERNAL` whose message does not leak internals beyond the error's own message.
 */
export function errorResponse(error: unknown): { status: ContentfulStatusCode; body: ErrorResponseBody } {
  if (MaxsimError.isInstance(error)) return { status: statusOf(error.code), body: { error: { code: error.code, message: error.message } } };
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: `${message}. This is a bug in maxsim serve: please report it with the request that caused it.` } },
  };
}
