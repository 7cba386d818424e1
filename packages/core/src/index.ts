// Public API of @maxsim/core: re-exports only.
export { MaxsimError, IndexCorruptError, throwIfAborted } from "./errors.js";
export type { MaxsimErrorCode, MaxsimErrorOptions } from "./errors.js";
export type { TokenEmbeddings, TokenVectors, EncodeAs } from "./types.js";
export * from "./storage/index.js";
export { ColBERT } from "./encoder/colbert.js";
export type { Encoder, EncodeOptions, ColBERTOptions, ModelInfo } from "./encoder/types.js";
export { poolTokens } from "./encoder/token-pooling.js";
export type { TokenPooling } from "./encoder/token-pooling.js";
export { loadModel } from "./model/load.js";
export { isFixtureId, resolveFixtureId, FIXTURE_PREFIX } from "./model/fixture-id.js";
export { maxsimVersion } from "./version.js";
export { defaultHubCacheDir, maxsimCacheRoot } from "./model/cache-dir.js";
export type { LoadModelOptions, ResolvedModel } from "./model/load.js";
export { registerLayout, listLayouts, getLayout, detectLayout } from "./model/layouts/registry.js";
export type { ColbertConfig, DenseProjection, LoadedModel, LayoutLoadOptions, HubFiles, ModelLayout } from "./model/types.js";
export { SafetensorsFile, readSafetensors } from "./model/safetensors.js";
export type { SafetensorInfo, SafetensorsDtype } from "./model/safetensors.js";
export { rerank, clearRerankCache } from "./rank/rerank.js";
export type { RerankOptions, RerankResult } from "./rank/rerank.js";
export { LazyEncoder } from "./rank/lazy-encoder.js";
export type { LazyEncoderFields, LazyEncoderNames } from "./rank/lazy-encoder.js";
export * from "./scoring/index.js";
export * from "./index/index.js";
export { Collection, COLLECTION_FORMAT_VERSION, META_KEY } from "./collection/collection.js";
export type { CollectionOptions, OpenCollectionOptions, CollectionMeta } from "./collection/collection.js";
export type { RetrievalCollection, CollectionEngine } from "./collection/retrieval-collection.js";
export { explainedQueryBatch } from "./collection/retrieval-collection.js";
export type {
  AddOptions,
  DocumentInput,
  StoredDocument,
  QueryOptions,
  QueryResult,
  ExplainedResult,
  Explanation,
  TokenMatch,
  Filter,
  Metadata,
  MetadataFilter,
  FieldOperators,
  FilterValue,
  Span,
} from "./collection/types.js";
export { compileFilter, parseFilterJson } from "./collection/filter.js";
export type { FilterPredicate } from "./collection/filter.js";
export { explainMatrix } from "./collection/explain-matrix.js";
export type { SimilarityMatrix } from "./collection/explain-matrix.js";
export { alignTokens, isTextToken } from "./collection/spans.js";
export { buildExplanation } from "./collection/explanation.js";
export { highlight, mergeSpans } from "./collection/highlight.js";
export type { HighlightMatch, HighlightOptions } from "./collection/highlight.js";
export { describeCollection, describeIfCollection, formatCollectionDescription } from "./collection/describe.js";
export type { CollectionDescription } from "./collection/describe.js";
