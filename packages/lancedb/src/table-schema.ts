/**
 * The LanceDB table of a collection: its Arrow schema (one row per document: `id`, `text`, JSON
 * `metadata`, `vectors` as `List<FixedSizeList<Float32 | Float16, dim>>` — LanceDB's multivector
 * type — and the derived filter columns), the collection record kept in the schema metadata, and
 * rows ↔ Arrow conversions.
 */
import { makeArrowTable } from "@lancedb/lancedb";
import { Field, FixedSizeList, Float16, Float32, List, Schema, Utf8 } from "apache-arrow";
import type { Table as ArrowTable } from "apache-arrow";
import { MaxsimError, fromFloat16 } from "@maxsim/core";
import type { Encoder, Metadata, TokenVectors } from "@maxsim/core";
import { isMetaColumn, kindOf, metaColumnType } from "./meta-columns.js";

/** Vector types a LanceDB collection stores. */
export type LanceVectorType = "float32" | "float16";

/** Key of the collection record in the table's schema metadata. */
export const LANCE_META_KEY = "maxsim";

/** Version of the collection record (bumped when the table layout changes). */
export const LANCE_COLLECTION_FORMAT = 1;

/** What a LanceDB collection records about itself (in the table's schema metadata). */
export interface LanceCollectionMeta {
  collectionFormat: number;
  engine: "lancedb";
  vectorType: LanceVectorType;
  model: { id: string; dim: number; info: unknown };
  /** Document token pooling every write applies (absent: none), as core's collections record it. */
  pooling?: { poolFactor: number; protectedTokens: number };
}

/** The column names every collection table has. */
export const BASE_COLUMNS = ["id", "text", "metadata", "vectors"] as const;

/** The schema of a new collection table for `encoder`. */
export function collectionSchema(encoder: Encoder, vectorType: LanceVectorType, poolFactor = 1): Schema {
  const item = vectorType === "float16" ? new Float16() : new Float32();
  const vectors = new List(new Field("item", new FixedSizeList(encoder.dim, new Field("item", item, true)), true));
  const meta: LanceCollectionMeta = {
    collectionFormat: LANCE_COLLECTION_FORMAT,
    engine: "lancedb",
    vectorType,
    model: { id: encoder.modelId, dim: encoder.dim, info: JSON.parse(JSON.stringify(encoder.info)) as unknown },
    ...(poolFactor === 1 ? {} : { pooling: { poolFactor, protectedTokens: 1 } }),
  };
  return new Schema(
    [new Field("id", new Utf8(), false), new Field("text", new Utf8(), true), new Field("metadata", new Utf8(), true), new Field("vectors", vectors, true)],
    new Map([[LANCE_META_KEY, JSON.stringify(meta)]]),
  );
}

/** Reads the collection record of a table schema; `INVALID_OPTION` when the table is not a collection. */
export function readCollectionMeta(schema: Schema, where: string): LanceCollectionMeta {
  const raw = schema.metadata.get(LANCE_META_KEY);
  let meta: Partial<LanceCollectionMeta> | undefined;
  try {
    meta = raw === undefined ? undefined : (JSON.parse(raw) as Partial<LanceCollectionMeta>);
  } catch {
    meta = undefined;
  }
  if (!meta || typeof meta.model?.id !== "string" || typeof meta.model.dim !== "number") {
    throw new MaxsimError("INVALID_OPTION", `The LanceDB table ${where} is not a maxsim collection (its schema metadata has no "${LANCE_META_KEY}" record). Open a table created by LanceCollection.create, or create one.`);
  }
  if (typeof meta.collectionFormat === "number" && meta.collectionFormat > LANCE_COLLECTION_FORMAT) {
    throw new MaxsimError("INDEX_VERSION", `The LanceDB table ${where} was written by a newer @maxsim/lancedb (format ${meta.collectionFormat}, this one reads ≤ ${LANCE_COLLECTION_FORMAT}). Upgrade @maxsim/lancedb.`);
  }
  const pooling = meta.pooling;
  if (pooling !== undefined && (!Number.isInteger(pooling.poolFactor) || pooling.poolFactor < 1 || !Number.isInteger(pooling.protectedTokens) || pooling.protectedTokens < 0)) {
    throw new MaxsimError("INDEX_CORRUPT", `The LanceDB table ${where} records invalid token pooling ${JSON.stringify(pooling)}. Restore the table from an earlier version (LanceDB checkout/restore) or rebuild it.`);
  }
  return { collectionFormat: meta.collectionFormat ?? 1, engine: "lancedb", vectorType: meta.vectorType ?? "float32", model: meta.model, ...(pooling ? { pooling } : {}) };
}

/** One document as written. */
export interface DocumentRow {
  id: string;
  text: string;
  metadata: Metadata;
  vectors: TokenVectors;
  /** Filter-column values (see `metaValues`). */
  meta: Map<string, unknown>;
}

/** Rows → an Arrow table of `schema` (filter columns a row does not use are null). */
export function rowsToArrow(rows: readonly DocumentRow[], schema: Schema): ArrowTable {
  const metaFields = schema.fields.filter((f) => isMetaColumn(f.name)).map((f) => f.name);
  const records = rows.map((r) => {
    const tokens: Float32Array[] = [];
    for (let t = 0; t < r.vectors.length; t++) tokens.push(r.vectors.data.subarray(t * r.vectors.dim, (t + 1) * r.vectors.dim));
    const rec: Record<string, unknown> = { id: r.id, text: r.text, metadata: JSON.stringify(r.metadata), vectors: tokens };
    for (const name of metaFields) rec[name] = r.meta.get(name) ?? null;
    return rec;
  });
  return makeArrowTable(records, { schema });
}

/** Arrow type of a filter column, re-exported for the collection's schema evolution. */
export function metaField(name: string): Field {
  return new Field(name, metaColumnType(kindOf(name)), true);
}

/** A `vectors` cell (an Arrow list of fixed-size lists) → token vectors. */
export function cellToVectors(cell: unknown, dim: number): TokenVectors {
  const list = cell as { length: number; get(i: number): { toArray(): ArrayLike<number> } | null } | null;
  const length = list?.length ?? 0;
  const data = new Float32Array(length * dim);
  for (let t = 0; t < length; t++) {
    const v = list!.get(t);
    if (!v) continue;
    const values = v.toArray();
    // Arrow JS hands Float16 values out as their raw bits.
    data.set(values instanceof Uint16Array ? fromFloat16(values) : values, t * dim);
  }
  return { data, length, dim };
}
