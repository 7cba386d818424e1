// Public API of @maxsim/langchain: re-exports only.
export { MaxSimRetriever, MAXSIM_SCORE_KEY, MAXSIM_NORMALIZED_SCORE_KEY, MAXSIM_MATCHES_KEY, MAXSIM_CONFIGURABLE_KEY } from "./retriever.js";
export type {
  MaxSimRetrieverInput,
  MaxSimSearchOptions,
  MaxSimRetrieverFromDocumentsOptions,
  MaxSimRetrieverFromExistingIndexOptions,
  MaxSimAddDocumentsOptions,
} from "./retriever.js";
export { MaxSimReranker } from "./reranker.js";
export type { MaxSimRerankerInput, MaxSimRerankerFromPretrainedOptions } from "./reranker.js";
