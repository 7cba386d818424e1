/** `POST /rerank` (query + raw texts, MaxSim order, nothing stored) and `POST /encode` (token vectors out). */
import { createRoute } from "@hono/zod-openapi";
import { rerank } from "../rank/rerank.js";
import { queryTokenCount } from "./context.js";
import type { ServeApp, ServeContext } from "./context.js";
import { errorResponses, jsonBody, jsonResponse } from "./openapi.js";
import { EncodeResponse, RerankResponse, encodeRequest, rerankRequest } from "./schemas.js";

/** Registers the encoder routes. They never touch the index, so they work on a read-only server too. */
export function registerModelRoutes(app: ServeApp, ctx: ServeContext): void {
  const rerankRoute = createRoute({
    method: "post",
    path: "/rerank",
    summary: "Rerank raw texts by MaxSim against a query (rerank-only mode: nothing is stored)",
    request: { body: jsonBody(rerankRequest(ctx.limits)) },
    responses: { 200: jsonResponse(RerankResponse, "best first, ties by input index"), ...errorResponses(400, 401, 413, 503) },
  });
  app.openapi(rerankRoute, async (c) => {
    const { query, documents, topN } = c.req.valid("json");
    const ranked = await ctx.reads.run(() => rerank(ctx.collection.encoder, query, documents, { topN }));
    const n = queryTokenCount(ctx, query);
    return c.json({ results: ranked.map((r) => ({ index: r.index, score: r.score, normalizedScore: r.score / n, text: documents[r.index]! })) }, 200);
  });

  const encode = createRoute({
    method: "post",
    path: "/encode",
    summary: "Encode texts as queries or documents: one vector per token",
    request: { body: jsonBody(encodeRequest(ctx.limits)) },
    responses: { 200: jsonResponse(EncodeResponse, "per text: token strings and their vectors"), ...errorResponses(400, 401, 413, 503) },
  });
  app.openapi(encode, async (c) => {
    const { texts, as } = c.req.valid("json");
    const encoder = ctx.collection.encoder;
    const encoded = await ctx.reads.run(() => (as === "query" ? encoder.encodeQueries(texts) : encoder.encodeDocuments(texts)));
    const embeddings = encoded.map((e) => {
      const vectors: number[][] = [];
      for (let i = 0; i < e.length; i++) vectors.push(Array.from(e.data.subarray(i * e.dim, (i + 1) * e.dim)));
      return { length: e.length, tokens: encoder.tokenStrings(e.tokenIds), vectors };
    });
    return c.json({ dim: encoder.dim, embeddings }, 200);
  });
}
