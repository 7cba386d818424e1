/** `POST /documents` (add or upsert a batch), `DELETE /documents` (ids or filter), `GET /documents/{id}`. */
import { createRoute, z } from "@hono/zod-openapi";
import { MaxsimError } from "../errors.js";
import { assertWritable } from "./context.js";
import type { ServeApp, ServeContext } from "./context.js";
import { errorResponses, jsonBody, jsonResponse } from "./openapi.js";
import { DeleteResponse, DocumentsResponse, StoredDocumentSchema, deleteRequest, documentsRequest } from "./schemas.js";

/** Registers the document routes. Writes run through the one write queue. */
export function registerDocumentRoutes(app: ServeApp, ctx: ServeContext): void {
  const add = createRoute({
    method: "post",
    path: "/documents",
    summary: "Add (or with upsert: replace) a batch of documents; the response comes after the commit",
    request: { body: jsonBody(documentsRequest(ctx.limits)) },
    responses: { 200: jsonResponse(DocumentsResponse, "ids in input order, committed"), ...errorResponses(400, 401, 403, 409, 413, 503) },
  });
  app.openapi(add, async (c) => {
    assertWritable(ctx);
    const { documents, upsert } = c.req.valid("json");
    // Repeats within the request are found here, so a DUPLICATE_ID from the core below can only
    // mean an id that is already stored; which one is found by looking the ids up, not by parsing
    // the core's message (its fix names upsertDocuments; over HTTP the fix is the upsert flag).
    const seen = new Set<string>();
    for (const d of documents) {
      if (d.id === undefined) continue;
      if (seen.has(d.id)) throw new MaxsimError("DUPLICATE_ID", `The id ${JSON.stringify(d.id)} appears twice in one request. Give every document its own id.`);
      seen.add(d.id);
    }
    const ids = await ctx.queue.run(async () => {
      if (upsert) return ctx.collection.upsertDocuments(documents);
      try {
        return await ctx.collection.addDocuments(documents);
      } catch (error) {
        if (!MaxsimError.isInstance(error) || error.code !== "DUPLICATE_ID") throw error;
        const stored = (await ctx.collection.getDocuments([...seen])).find((doc) => doc !== undefined);
        if (stored === undefined) throw error;
        throw new MaxsimError(
          "DUPLICATE_ID",
          `A document with id ${JSON.stringify(stored.id)} already exists. Send "upsert": true to replace it, or DELETE it first.`,
          {
            cause: error,
          },
        );
      }
    });
    return c.json({ ids, size: ctx.collection.size }, 200);
  });

  const remove = createRoute({
    method: "delete",
    path: "/documents",
    summary: "Delete documents by ids or by a metadata filter, in one commit",
    request: { body: jsonBody(deleteRequest(ctx.limits)) },
    responses: { 200: jsonResponse(DeleteResponse, "how many were deleted"), ...errorResponses(400, 401, 403, 503) },
  });
  app.openapi(remove, async (c) => {
    assertWritable(ctx);
    const { ids, filter } = c.req.valid("json");
    const deleted = await ctx.queue.run(() => (ids !== undefined ? ctx.collection.deleteDocuments(ids) : ctx.collection.deleteWhere(filter!)));
    return c.json({ deleted, size: ctx.collection.size }, 200);
  });

  const get = createRoute({
    method: "get",
    path: "/documents/{id}",
    summary: "One stored document",
    request: { params: z.object({ id: z.string().min(1) }) },
    responses: { 200: jsonResponse(StoredDocumentSchema, "the document"), ...errorResponses(401, 404, 503) },
  });
  app.openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const [doc] = await ctx.collection.getDocuments([id]);
    if (doc === undefined)
      throw new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)}. Check the id (ids are case-sensitive; URL-encode it).`);
    return c.json(doc, 200);
  });
}
