// Bench corpora (`@maxsim/core/bench-corpora`): a family of ColBERT-shaped generators for benches and tests.
export { BENCH_FAMILIES, BENCH_FAMILY_NAMES, benchCorpus } from "./families.js";
export type { BenchFamily } from "./families.js";
export { colbertLikeCorpus, corpusIds } from "./colbert-like.js";
export type { ColbertLikeProfile } from "./colbert-like.js";
export type { BenchCorpus, BenchCorpusOptions } from "./types.js";
