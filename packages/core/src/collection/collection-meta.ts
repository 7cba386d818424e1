/**
 * The collection's record in the index manifest: its format version, the model it was built with
 * and its document token pooling, written on create and checked on open.
 */
import { MaxsimError } from "../errors.js";
import { checkPooling, type TokenPooling } from "../encoder/token-pooling.js";
import type { Encoder } from "../encoder/types.js";

/**
 * Version of the collection metadata stored in the index manifest (`maxsim info` prints it).
 *
 * @example
 * ```ts
 * import { COLLECTION_FORMAT_VERSION } from "@maxsim/core";
 * console.log(COLLECTION_FORMAT_VERSION); // 1
 * ```
 */
export const COLLECTION_FORMAT_VERSION = 1;

/** Highest collection format this version reads (2 = pooled document tokens). */
const COLLECTION_FORMAT_READ = 2;

/**
 * Key of the collection's entry in the index manifest's owner metadata.
 *
 * @example
 * ```ts
 * import { Collection, META_KEY } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
 * console.log(META_KEY, (c.index.meta[META_KEY] as { collectionFormat: number }).collectionFormat); // collection 1
 * await c.close();
 * ```
 */
export const META_KEY = "collection";

/** What a collection stores about its model (in the index manifest, under {@link META_KEY}). */
export interface CollectionMeta {
  collectionFormat: number;
  model: { id: string; dim: number; info: unknown };
  /** Document token pooling (absent = none; collection format 2). */
  pooling?: Required<TokenPooling>;
}

/** Collection format of a collection that pools document tokens (older readers refuse it rather than add unpooled documents). */
const POOLED_COLLECTION_FORMAT = 2;

/** The manifest record of a new collection of `encoder`'s documents, pooled by `poolFactor`. */
export function metaOf(encoder: Encoder, poolFactor: number): CollectionMeta {
  const model = { id: encoder.modelId, dim: encoder.dim, info: JSON.parse(JSON.stringify(encoder.info)) as unknown };
  if (poolFactor === 1) return { collectionFormat: COLLECTION_FORMAT_VERSION, model };
  return { collectionFormat: POOLED_COLLECTION_FORMAT, model, pooling: { poolFactor, protectedTokens: 1 } };
}

/** The collection record `raw` of the index in `dir`, checked (a bare index, a newer format and invalid pooling are refused). */
export function readMeta(raw: unknown, dir: string): CollectionMeta {
  const m = raw as Partial<CollectionMeta> | undefined;
  if (!m || typeof m.model?.id !== "string" || typeof m.model.dim !== "number") {
    throw new MaxsimError(
      "INVALID_OPTION",
      `${dir} is a MaxSim index but not a collection (its manifest names no model). Open it with MaxSimIndex.open, or create a collection with Collection.create / \`maxsim index\`.`,
    );
  }
  if (typeof m.collectionFormat === "number" && m.collectionFormat > COLLECTION_FORMAT_READ) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `${dir} was written by a newer maxsim (collection format ${m.collectionFormat}, this one reads ≤ ${COLLECTION_FORMAT_READ}). Upgrade @maxsim/core.`,
    );
  }
  if (m.pooling !== undefined) {
    try {
      checkPooling(m.pooling.poolFactor, m.pooling.protectedTokens);
    } catch (cause) {
      throw new MaxsimError(
        "INDEX_CORRUPT",
        `The manifest of the collection in ${dir} records invalid token pooling ${JSON.stringify(m.pooling)}. Restore the directory from a backup or rebuild the collection.`,
        { cause },
      );
    }
  }
  return m as CollectionMeta;
}
