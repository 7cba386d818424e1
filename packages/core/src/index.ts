// Public API of @maxsim/core: re-exports only.
export { MaxsimError, IndexCorruptError, throwIfAborted } from "./errors.js";
export type { MaxsimErrorCode, MaxsimErrorOptions } from "./errors.js";
export type { TokenEmbeddings, TokenVectors, EncodeAs } from "./types.js";
