/**
 * The `maxsim serve` application: a Hono app whose routes are declared with zod through
 * `@hono/zod-openapi` (requests validated, `/openapi.json` generated from the same schemas).
 * Middleware, in order: refuse new work once shutdown began (503), count in-flight requests,
 * bearer auth (every route but `/health` and the static playground page), body size limit (413).
 * Every error leaves as JSON `{ error: { code, message } }` (see `http-error.ts`).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { MaxsimError } from "../errors.js";
import { describeValue, formatPath, valueAt } from "../validation/describe.js";
import { bearerChecker } from "./auth.js";
import type { ServeContext } from "./context.js";
import { errorResponse } from "./http-error.js";
import { PLAYGROUND_HTML } from "./playground.js";
import { registerDocumentRoutes } from "./routes-documents.js";
import { registerInfoRoutes } from "./routes-info.js";
import { registerModelRoutes } from "./routes-model.js";
import { registerSearchRoutes } from "./routes-search.js";

/** Options of {@link createServeApp}. */
export interface ServeAppOptions {
  /** Bearer token every route but `/health` and `/` requires; none = no authentication. */
  token?: string;
}

/** Live request accounting the server's shutdown waits on. */
export interface InFlight {
  count: number;
  /** Called when `count` drops to 0 (shutdown sets it instead of polling). */
  onIdle?: () => void;
}

/**
 * A request that failed its schema, in the core's validation wording (`validation/`: the field
 * path, what it must be, what was sent), so HTTP and library callers read the same messages:
 * `POST /search: body.k is invalid: Too small: expected number to be >=0 (got a number -1). …`
 */
function validationMessage(route: string, target: string, error: ZodError, input: unknown): string {
  const root = target === "json" ? "body" : target;
  const parts = error.issues.slice(0, 3).map((issue) => {
    const text = issue.message.startsWith("must ") ? issue.message : `is invalid: ${issue.message}`;
    return `${formatPath(root, issue.path)} ${text} (got ${describeValue(valueAt(input, issue.path))})`;
  });
  return `${route}: ${parts.join("; ")}. Fix the request (the schemas are in /openapi.json).`;
}

/**
 * Builds the app over an open collection.
 *
 * @param ctx - collection, write queue, limits and state shared by the routes
 * @param inFlight - incremented while a request runs (shutdown waits for 0)
 * @param options - `token`
 */
export function createServeApp(ctx: ServeContext, inFlight: InFlight, options: ServeAppOptions = {}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: async (result, c) => {
      if (result.success) return;
      const input: unknown = result.target === "json" ? await c.req.json().catch(() => undefined) : result.target === "param" ? c.req.param() : undefined;
      throw new MaxsimError("INVALID_INPUT", validationMessage(`${c.req.method} ${c.req.path}`, result.target, result.error, input), { cause: result.error });
    },
  });
  const check = options.token === undefined ? undefined : bearerChecker(options.token);

  app.onError((error, c) => {
    if (error instanceof HTTPException && !MaxsimError.isInstance(error.cause)) {
      // Hono's own 400s (malformed JSON) carry a plain message: give them a code and a fix.
      const code = error.status === 413 ? "PAYLOAD_TOO_LARGE" : error.status === 400 ? "INVALID_INPUT" : "INTERNAL";
      return c.json(
        { error: { code, message: `${error.message}. Send a JSON body matching the route's schema (see /openapi.json).` } },
        error.status === 413 ? 413 : error.status === 400 ? 400 : 500,
      );
    }
    const { status, body } = errorResponse(error);
    return c.json(body, status);
  });
  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `No route ${c.req.method} ${c.req.path}. The routes are listed in /openapi.json.` } }, 404),
  );

  app.use("*", async (c, next) => {
    if (ctx.closing && c.req.path !== "/health") {
      c.header("Connection", "close");
      throw new MaxsimError("SERVER_CLOSING", "The server is shutting down and accepts no new requests. Retry against the restarted server.");
    }
    inFlight.count++;
    try {
      if (check !== undefined && c.req.path !== "/health" && !(c.req.method === "GET" && c.req.path === "/")) check(c.req.header("Authorization"));
      await next();
    } finally {
      if (--inFlight.count === 0) inFlight.onIdle?.();
    }
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: ctx.limits.maxBodyBytes,
      onError: () => {
        throw new MaxsimError(
          "PAYLOAD_TOO_LARGE",
          `The request body is larger than ${ctx.limits.maxBodyBytes} bytes. Send smaller batches, or restart the server with a larger --max-body.`,
        );
      },
    }),
  );

  registerSearchRoutes(app, ctx);
  registerDocumentRoutes(app, ctx);
  registerModelRoutes(app, ctx);
  registerInfoRoutes(app, ctx);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "the --token / MAXSIM_TOKEN the server was started with",
  });
  app.doc("/openapi.json", {
    openapi: "3.0.0",
    security: check === undefined ? [] : [{ bearer: [] }],
    info: {
      title: "maxsim serve",
      version: "1",
      description:
        "Late-interaction (ColBERT / MaxSim) search over one collection. Errors are { error: { code, message } } with the maxsim error code and the fix.",
    },
  });
  app.get("/", (c) => c.html(PLAYGROUND_HTML));
  return app;
}
