/** `GET /health` (no token needed) and `GET /stats` (size, codec, model, index training state, limits, writes). */
import { createRoute } from "@hono/zod-openapi";
import { describeCollection } from "../collection/describe.js";
import type { ServeApp, ServeContext } from "./context.js";
import { errorResponses, jsonResponse } from "./openapi.js";
import { HealthResponse, StatsResponse } from "./schemas.js";

/** Registers the info routes. */
export function registerInfoRoutes(app: ServeApp, ctx: ServeContext): void {
  const health = createRoute({
    method: "get",
    path: "/health",
    summary: "Liveness: 200 while serving, 503 once shutdown began (needs no token)",
    responses: { 200: jsonResponse(HealthResponse, "serving"), 503: jsonResponse(HealthResponse, "shutting down") },
  });
  app.openapi(health, (c) => {
    const body = { status: ctx.closing ? ("closing" as const) : ("ok" as const), documents: ctx.collection.size };
    return ctx.closing ? c.json(body, 503) : c.json(body, 200);
  });

  const stats = createRoute({
    method: "get",
    path: "/stats",
    summary: "Collection size, codec, model, index training state, limits and write counts",
    responses: { 200: jsonResponse(StatsResponse, "stats"), ...errorResponses(401, 503) },
  });
  app.openapi(stats, async (c) => {
    const { collection } = ctx;
    const index = collection.index;
    const d = await describeCollection(collection.dir!, { index });
    const info = collection.encoder.info;
    return c.json(
      {
        dir: d.dir,
        readOnly: ctx.readOnly,
        documents: d.documents,
        tokens: d.tokens,
        codec: d.codec,
        dim: d.dim,
        bytesOnDisk: d.bytesOnDisk,
        liveBytes: d.liveBytes,
        model: {
          id: collection.encoder.modelId,
          layout: info.layout,
          queryLength: info.queryLength,
          documentLength: info.documentLength,
          doQueryExpansion: info.doQueryExpansion,
        },
        index: { trained: index.trained, trainedTokens: index.trainedTokens, tokensSinceTraining: index.tokensSinceTraining },
        limits: { ...ctx.limits },
        writes: { pending: ctx.queue.pending, done: ctx.queue.done },
        searches: { active: ctx.reads.active, waiting: ctx.reads.waiting },
      },
      200,
    );
  });
}
