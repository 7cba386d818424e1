/** Small builders for the OpenAPI route declarations, so every route declares bodies and errors alike. */
import type { z } from "@hono/zod-openapi";
import { ErrorBody } from "./schemas.js";

const ERROR_TEXT: Record<number, string> = {
  400: "invalid input (INVALID_INPUT, INVALID_FILTER, INVALID_OPTION, INVALID_ID, EMPTY_INPUT)",
  401: "missing or wrong bearer token (UNAUTHORIZED)",
  403: "the server is read-only (INDEX_READ_ONLY)",
  404: "unknown document id (NOT_FOUND)",
  409: "conflict (DUPLICATE_ID, INDEX_LOCKED, INDEX_STALE)",
  413: "request body too large (PAYLOAD_TOO_LARGE)",
  503: "the server is shutting down (SERVER_CLOSING)",
};

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true } as const;
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description } as const;
}

/** The error responses a route can give, all with the `Error` body. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 503)[]) {
  const out: Record<number, { content: { "application/json": { schema: typeof ErrorBody } }; description: string }> = {};
  for (const s of statuses) out[s] = { content: { "application/json": { schema: ErrorBody } }, description: ERROR_TEXT[s]! };
  return out;
}
