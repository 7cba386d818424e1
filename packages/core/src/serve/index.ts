// `@maxsim/core/serve`: the HTTP server behind `maxsim serve`, kept off the root export so that
// importing `@maxsim/core` never loads Hono.
export { startServer } from "./server.js";
export type { ServeOptions, RunningServer } from "./server.js";
export { DEFAULT_LIMITS } from "./schemas.js";
export type { ServeLimits } from "./schemas.js";
export { statusOf } from "./http-error.js";
export type { ErrorResponseBody } from "./http-error.js";
