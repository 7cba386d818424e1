/** What every route of `maxsim serve` shares: the collection, the write queue, limits and state. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Collection } from "../collection/collection.js";
import { MaxsimError } from "../errors.js";
import type { ServeLimits } from "./schemas.js";
import type { SearchLimiter } from "./search-limiter.js";
import type { WriteQueue } from "./write-queue.js";

/** The state routes read. */
export interface ServeContext {
  collection: Collection;
  /** Writes are refused with `INDEX_READ_ONLY` (403). */
  readOnly: boolean;
  queue: WriteQueue;
  /** Caps concurrent read requests at `limits.maxConcurrentSearches`. */
  reads: SearchLimiter;
  limits: ServeLimits;
  /** True once shutdown began: new requests get 503 `SERVER_CLOSING`. */
  closing: boolean;
}

/** The app type routes are registered on. */
export type ServeApp = OpenAPIHono;

/** Throws `INDEX_READ_ONLY` on a read-only server. */
export function assertWritable(ctx: ServeContext): void {
  if (ctx.readOnly) {
    throw new MaxsimError(
      "INDEX_READ_ONLY",
      "This server was started with --read-only and does not accept writes. Restart it without --read-only (one writer per collection), or write with `maxsim add`.",
    );
  }
}

/** Tokens a query encodes to (prefix and expansion included): the denominator of `normalizedScore`. */
export function queryTokenCount(ctx: ServeContext, query: string): number {
  return Math.max(1, ctx.collection.encoder.outputTokenIds(query, "query").length);
}

/** Rounds a similarity for JSON (4 decimals keep heatmaps exact enough and responses small). */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
