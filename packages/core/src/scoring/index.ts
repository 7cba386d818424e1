// Scoring: MaxSim kernels. Knows nothing about storage.
export { maxsimScore, maxsimExplain, maxsimMatrix } from "./maxsim.js";
export type { TokenMatchScore } from "./maxsim.js";
export { scoreFlatJs } from "./js-kernel.js";
export { scoreFlatOrt } from "./ort-kernel.js";
export type { OrtKernelOptions } from "./ort-kernel.js";
export { checkVectors } from "./flat-tokens.js";
export type { FlatTokens, TokenBlocks } from "./flat-tokens.js";
