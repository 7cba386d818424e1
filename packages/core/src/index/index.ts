// MaxSimIndex: exact + PLAID-style approximate multi-vector search, updates, persistence.
export { MaxSimIndex } from "./maxsim-index.js";
export type { IndexItem, MaxSimIndexOptions, MaxSimIndexOpenOptions } from "./maxsim-index.js";
export type { SearchHit, IdFilter, IndexCodec, ExactSearchOptions, SearchOptions } from "./types.js";
export { compareHits } from "./top-k.js";
export { syntheticCorpus } from "./synthetic.js";
export type { SyntheticCorpus, SyntheticOptions } from "./synthetic.js";
export { HNSW_MIN_CENTROIDS, HNSW_ENABLE_HINT, resolveCentroidProber } from "./plaid.js";
export type { CentroidProber, CentroidProberChoice } from "./plaid.js";
export { hnswStatus } from "./hnsw-addon.js";
export type { HnswStatus } from "./hnsw-addon.js";
