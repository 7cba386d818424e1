// @maxsim/core/validation: the boundary schemas (zod 4) and the helpers that turn their issues
// into MaxsimErrors. The HTTP server's routes import these instead of redefining them.
export { validate } from "./parse.js";
export type { ValidationContext } from "./parse.js";
export { describeValue, formatPath } from "./describe.js";
export { copyJsonValue, MAX_JSON_DEPTH, MAX_METADATA_BYTES } from "./json-value.js";
export type { JsonCopyOptions } from "./json-value.js";
export { checkFilterBounds, MAX_FILTER_DEPTH, MAX_FILTER_NODES } from "./filter-bounds.js";
export * from "./schemas.js";
export { checkRerankerFields, checkRetrieverFields, requireArray } from "./wrapper-fields.js";
export type { RerankerSource } from "./wrapper-fields.js";
