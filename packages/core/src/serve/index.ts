// `@maxsim/core/serve`: the HTTP server behind `maxsim serve`, kept off the root export so that
// importing `@maxsim/core` never loads Hono.
export { startServer } from "./server.js";
export type { ServeOptions, RunningServer } from "./server.js";
export { createServeApp } from "./app.js";
export type { ServeAppOptions, InFlight } from "./app.js";
export type { ServeContext } from "./context.js";
export { WriteQueue } from "./write-queue.js";
export { SearchLimiter } from "./search-limiter.js";
export { DEFAULT_LIMITS } from "./schemas.js";
export type { ServeLimits } from "./schemas.js";
export { statusOf, errorResponse } from "./http-error.js";
export type { ErrorResponseBody } from "./http-error.js";
export { PLAYGROUND_HTML } from "./playground.js";
