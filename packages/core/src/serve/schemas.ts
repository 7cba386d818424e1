/**
 * The request and response shapes of `maxsim serve`, in zod 4 (the project's one schema
 * library). `@hono/zod-openapi` validates every request body against them and writes
 * `/openapi.json` from the same objects, so the document cannot drift from what is enforced.
 */
import { availableParallelism } from "node:os";
import { z } from "@hono/zod-openapi";
import type { MetadataFilter } from "../collection/filter.js";

/** Limits a server enforces per request (set by `maxsim serve` flags). */
export interface ServeLimits {
  /** Largest request body in bytes (413 `PAYLOAD_TOO_LARGE` above). */
  maxBodyBytes: number;
  /** Most documents, texts or queries in one request (400 `INVALID_INPUT` above). */
  maxBatch: number;
  /** Largest `k` / `topN`. */
  maxK: number;
  /** Read requests (search, explain, rerank, encode) run at once; more wait their turn (see `search-limiter.ts`). */
  maxConcurrentSearches: number;
  /** Most hits one `/search` with `explain: true` may explain (queries × k; 400 `INVALID_INPUT` above). */
  maxExplainHits: number;
}

/** The defaults: 16 MiB bodies, 1,000 items per batch, k ≤ 1,000, concurrent searches = cores (at least 2), 100 explained hits. */
export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatch: 1000,
  maxK: 1000,
  maxConcurrentSearches: Math.max(2, availableParallelism()),
  maxExplainHits: 100,
};

const metadata = z.record(z.string(), z.unknown()).openapi({ description: "JSON metadata object", example: { lang: "fr" } });
// The shape is checked by the core (compileFilter → INVALID_FILTER naming the operator), so the
// schema only says "an object" and types it as the core's filter.
const filter = z
  .custom<MetadataFilter>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: "a filter must be a JSON object" })
  .openapi({
    type: "object",
    additionalProperties: true,
    description: "Metadata filter: { field: value } or operators $eq $ne $gt $gte $lt $lte $in $nin $contains $and $or",
    example: { lang: { $in: ["fr", "de"] } },
  });
const span = z.tuple([z.number().int(), z.number().int()]).openapi({ description: "[start, end) character offsets in the document text" });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "INVALID_INPUT" }),
      message: z.string().openapi({ description: "The problem and the fix" }),
    }),
  })
  .openapi("Error");

export const TokenMatchSchema = z
  .object({
    queryIndex: z.number().int(),
    queryToken: z.string(),
    docIndex: z.number().int(),
    docToken: z.string(),
    score: z.number(),
    span: span.nullable(),
  })
  .openapi("TokenMatch");

export const HitSchema = z
  .object({
    id: z.string(),
    score: z.number().openapi({ description: "MaxSim: the sum over query tokens of the best dot product" }),
    normalizedScore: z.number().openapi({ description: "score / number of query tokens (1 = every query token matched perfectly)" }),
    text: z.string(),
    metadata,
    highlights: z.array(span).optional().openapi({ description: "merged spans of strong matches of real query words (with explain)" }),
    matches: z.array(TokenMatchSchema).optional().openapi({ description: "per query token, its best document token (with explain)" }),
  })
  .openapi("Hit");

export function searchRequest(limits: ServeLimits) {
  return z
    .object({
      query: z.string().min(1).optional(),
      queries: z.array(z.string().min(1)).min(1).max(limits.maxBatch).optional(),
      k: z.number().int().min(0).max(limits.maxK).default(10),
      filter: filter.optional(),
      exact: z.boolean().default(false),
      explain: z
        .boolean()
        .default(false)
        .openapi({
          description: `add highlights and per-token matches to every hit; queries × k may be at most ${limits.maxExplainHits} (the server's maxExplainHits) with explain, else 400 INVALID_INPUT`,
        }),
    })
    .refine((b) => (b.query === undefined) !== (b.queries === undefined), {
      message: "must have exactly one of query (a string) or queries (an array of strings)",
    })
    .openapi("SearchRequest");
}

export const SearchResponse = z
  .object({
    results: z.union([z.array(HitSchema), z.array(z.array(HitSchema))]).openapi({ description: "hits best first; one list per query when `queries` was sent" }),
  })
  .openapi("SearchResponse");

export const ExplainRequest = z.object({ query: z.string().min(1), id: z.string().min(1) }).openapi("ExplainRequest");

export const ExplainResponse = z
  .object({
    id: z.string(),
    score: z.number(),
    normalizedScore: z.number(),
    queryTokens: z.array(z.string()),
    docTokens: z.array(z.string()),
    docSpans: z.array(span.nullable()),
    queryIsText: z.array(z.boolean()).openapi({ description: "per query token: a real word (not a prefix, special or expansion token)" }),
    docIsText: z.array(z.boolean()).openapi({ description: "per document token: a real word" }),
    matrix: z.array(z.array(z.number())).openapi({ description: "queryTokens × docTokens dot products (the MaxSim matrix)" }),
    matches: z.array(TokenMatchSchema),
  })
  .openapi("ExplainResponse");

export function documentsRequest(limits: ServeLimits) {
  return z
    .object({
      documents: z
        .array(z.object({ id: z.string().min(1).optional(), text: z.string(), metadata: metadata.optional() }))
        .min(1)
        .max(limits.maxBatch),
      upsert: z.boolean().default(false).openapi({ description: "replace documents whose id exists instead of failing with DUPLICATE_ID" }),
    })
    .openapi("AddDocumentsRequest");
}

export const DocumentsResponse = z.object({ ids: z.array(z.string()), size: z.number().int() }).openapi("AddDocumentsResponse");

export function deleteRequest(limits: ServeLimits) {
  return z
    .object({ ids: z.array(z.string().min(1)).min(1).max(limits.maxBatch).optional(), filter: filter.optional() })
    .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { message: "must have exactly one of ids or filter" })
    .openapi("DeleteDocumentsRequest");
}

export const DeleteResponse = z.object({ deleted: z.number().int(), size: z.number().int() }).openapi("DeleteDocumentsResponse");

export const StoredDocumentSchema = z.object({ id: z.string(), text: z.string(), metadata }).openapi("Document");

export function rerankRequest(limits: ServeLimits) {
  return z
    .object({
      query: z.string().min(1),
      documents: z.array(z.string()).min(1).max(limits.maxBatch).openapi({ description: "raw texts; nothing is stored" }),
      topN: z.number().int().min(1).max(limits.maxBatch).optional(),
    })
    .openapi("RerankRequest");
}

export const RerankResponse = z
  .object({
    results: z
      .array(z.object({ index: z.number().int(), score: z.number(), normalizedScore: z.number(), text: z.string() }))
      .openapi({ description: "best first, ties by index" }),
  })
  .openapi("RerankResponse");

export function encodeRequest(limits: ServeLimits) {
  return z.object({ texts: z.array(z.string()).min(1).max(limits.maxBatch), as: z.enum(["query", "document"]).default("document") }).openapi("EncodeRequest");
}

export const EncodeResponse = z
  .object({
    dim: z.number().int(),
    embeddings: z.array(z.object({ length: z.number().int(), tokens: z.array(z.string()), vectors: z.array(z.array(z.number())) })),
  })
  .openapi("EncodeResponse");

export const HealthResponse = z.object({ status: z.enum(["ok", "closing"]), documents: z.number().int() }).openapi("Health");

export const StatsResponse = z
  .object({
    dir: z.string(),
    readOnly: z.boolean(),
    documents: z.number().int(),
    tokens: z.number().int(),
    codec: z.string(),
    dim: z.number().int(),
    bytesOnDisk: z.number().int(),
    liveBytes: z.number().int(),
    model: z.object({ id: z.string(), layout: z.string(), queryLength: z.number().int(), documentLength: z.number().int(), doQueryExpansion: z.boolean() }),
    index: z.object({ trained: z.boolean(), trainedTokens: z.number().int(), tokensSinceTraining: z.number().int() }),
    limits: z.object({
      maxBodyBytes: z.number().int(),
      maxBatch: z.number().int(),
      maxK: z.number().int(),
      maxConcurrentSearches: z.number().int(),
      maxExplainHits: z.number().int(),
    }),
    writes: z.object({ pending: z.number().int(), done: z.number().int() }),
    searches: z.object({ active: z.number().int(), waiting: z.number().int() }),
  })
  .openapi("Stats");
