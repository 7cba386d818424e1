/** `POST /search` (one query or many, filter, exact, explain) and `POST /explain` (the MaxSim matrix of one hit). */
import { createRoute } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import { explainMatrix } from "../collection/explain-matrix.js";
import { highlightSpans } from "../collection/highlight.js";
import { isTextToken } from "../collection/spans.js";
import type { ExplainedResult, QueryResult } from "../collection/types.js";
import { MaxsimError } from "../errors.js";
import { round4 } from "./context.js";
import type { ServeApp, ServeContext } from "./context.js";
import { errorResponses, jsonBody, jsonResponse } from "./openapi.js";
import { ExplainRequest, ExplainResponse, HitSchema, SearchResponse, searchRequest } from "./schemas.js";

type Hit = z.infer<typeof HitSchema>;

function toHit(r: QueryResult | ExplainedResult): Hit {
  const hit: Hit = { id: r.id, score: r.score, normalizedScore: r.normalizedScore, text: r.text, metadata: r.metadata };
  if ("explanation" in r) {
    hit.highlights = highlightSpans(r.explanation);
    hit.matches = r.explanation.matches;
  }
  return hit;
}

/** Registers the search routes. */
export function registerSearchRoutes(app: ServeApp, ctx: ServeContext): void {
  const search = createRoute({
    method: "post",
    path: "/search",
    summary: "Search the collection (MaxSim); `queries` searches several in one batch",
    request: { body: jsonBody(searchRequest(ctx.limits)) },
    responses: { 200: jsonResponse(SearchResponse, "hits, best first"), ...errorResponses(400, 401, 503) },
  });
  app.openapi(search, async (c) => {
    const body = c.req.valid("json");
    const texts = body.queries ?? [body.query!];
    // Each explained hit costs a MaxSim match pass, token strings and spans (and, for pooled
    // collections, a document encode): cap them per request, before searching, so one request
    // cannot ask for queries × k = 10^6 of them.
    if (body.explain && texts.length * body.k > ctx.limits.maxExplainHits) {
      throw new MaxsimError(
        "INVALID_INPUT",
        `explain: true with ${texts.length} quer${texts.length === 1 ? "y" : "ies"} × k ${body.k} asks for up to ${texts.length * body.k} explained hits; this server explains at most ${ctx.limits.maxExplainHits} per request (maxExplainHits). Lower k or send fewer queries, or search without explain and POST /explain the hits you show.`,
      );
    }
    const options = { k: body.k, filter: body.filter, exact: body.exact };
    // Explained in core, from the search's own query encodings and snapshot (see queryBatchExplained).
    const lists = await ctx.reads.run(() => (body.explain ? ctx.collection.queryBatchExplained(texts, options) : ctx.collection.queryBatch(texts, options)));
    const hits = lists.map((list: (QueryResult | ExplainedResult)[]) => list.map(toHit));
    return c.json({ results: body.queries === undefined ? hits[0]! : hits }, 200);
  });

  const explain = createRoute({
    method: "post",
    path: "/explain",
    summary: "The MaxSim matrix (query tokens × document tokens) of one stored document, with each query token's best match",
    request: { body: jsonBody(ExplainRequest) },
    responses: { 200: jsonResponse(ExplainResponse, "matrix and matches"), ...errorResponses(400, 401, 404, 503) },
  });
  app.openapi(explain, async (c) => {
    const { query, id } = c.req.valid("json");
    // One query encoding and one snapshot for the matrix and the matches.
    const m = await ctx.reads.run(() => explainMatrix(ctx.collection, query, id));
    const cols = m.docTokens.length;
    const matrix: number[][] = [];
    for (let i = 0; i < m.queryTokens.length; i++) matrix.push(Array.from(m.matrix.subarray(i * cols, (i + 1) * cols), round4));
    return c.json(
      {
        id,
        score: m.score,
        normalizedScore: m.score / m.queryTokens.length,
        queryTokens: m.queryTokens,
        docTokens: m.docTokens,
        docSpans: m.docSpans,
        queryIsText: m.queryTokens.map(isTextToken),
        docIsText: m.docTokens.map(isTextToken),
        matrix,
        matches: m.matches,
      },
      200,
    );
  });
}
