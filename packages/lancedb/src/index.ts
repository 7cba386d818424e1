// Public API of @maxsim/lancedb: re-exports only.
export { LanceCollection } from "./lance-collection.js";
export type { LanceCollectionOptions, LanceConnectOptions, LanceQueryOptions, OpenLanceCollectionOptions } from "./lance-collection.js";
export { lanceEngine } from "./engine.js";
export type { LanceEngineOptions } from "./engine.js";
export type { LanceSearchOptions } from "./rescore.js";
export { toLanceWhere, sqlString } from "./filter-sql.js";
export { metaColumn } from "./meta-columns.js";
export { LANCE_META_KEY, LANCE_COLLECTION_FORMAT } from "./table-schema.js";
export type { LanceCollectionMeta, LanceVectorType } from "./table-schema.js";
