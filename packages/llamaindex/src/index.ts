// Public API of @maxsim/llamaindex: re-exports only.
export { MaxSimRetriever, MAXSIM_NORMALIZED_SCORE_KEY } from "./retriever.js";
export type { InsertOptions, MaxSimRetrieverBuildOptions, MaxSimRetrieverOpenOptions, MaxSimRetrieverOptions, NodeSplitter } from "./retriever.js";
export { MaxSimReranker } from "./reranker.js";
export type { MaxSimRerankerLoadOptions, MaxSimRerankerOptions } from "./reranker.js";
export { SUPPORTED_OPERATORS, toCoreFilter } from "./filters.js";
