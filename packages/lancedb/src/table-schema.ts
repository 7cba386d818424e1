/**
 * The LanceDB table of a collection: its Arrow schema (one row per document: `id`, `text`, JSON
 * `metadata`, `vectors` as `List<FixedSizeList<Float32 | Float16, dim>>` — LanceDB's multivector
 * type — and the derived filter columns), the collection record kept in the schema metadata, and
 * rows ↔ Arrow conversions.
 */
import { createRequire } from "node:module";
import type { Data, Field as FieldT, FixedSizeList, Float32, List, Schema, Table as ArrowTable } from "apache-arrow";
import { MaxsimError, fromFloat16, toFloat16 } from "@maxsim/core";
import type { Encoder, Metadata, TokenVectors } from "@maxsim/core";
import { kindOf, metaColumnType } from "./meta-columns.js";

// LanceDB is CommonJS and checks Arrow objects with `instanceof` against the CommonJS build of
// apache-arrow; an ESM import would load a second copy whose tables it re-creates field by field
// (and then refuses as "schemas must be equivalent"). Build everything with the copy it uses.
const arrow = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
const {
  Field,
  FixedSizeList: FixedSizeListType,
  Float16,
  Float32: Float32Type,
  List: ListType,
  RecordBatch,
  Schema: SchemaType,
  Struct,
  Table: TableType,
  Utf8,
  makeData,
  vectorFromArray,
} = arrow;

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
/** LanceDB's multivector type: a list of fixed-size lists (one per token). */
export function vectorsType(dim: number, vectorType: LanceVectorType): List<FixedSizeList> {
  const item = vectorType === "float16" ? new Float16() : new Float32Type();
  return new ListType(new Field("item", new FixedSizeListType(dim, new Field("item", item, true)), true));
}

export function collectionSchema(encoder: Encoder, vectorType: LanceVectorType, poolFactor = 1): Schema {
  const vectors = vectorsType(encoder.dim, vectorType);
  const meta: LanceCollectionMeta = {
    collectionFormat: LANCE_COLLECTION_FORMAT,
    engine: "lancedb",
    vectorType,
    model: { id: encoder.modelId, dim: encoder.dim, info: JSON.parse(JSON.stringify(encoder.info)) as unknown },
    ...(poolFactor === 1 ? {} : { pooling: { poolFactor, protectedTokens: 1 } }),
  };
  return new SchemaType(
    [
      // Declared as Lance's (unenforced) primary key: merge inserts record the keys they insert,
      // so two writers inserting the same new id conflict at commit instead of both appending.
      new Field("id", new Utf8(), false, new Map([["lance-schema:unenforced-primary-key", "true"]])),
      new Field("text", new Utf8(), true),
      new Field("metadata", new Utf8(), true),
      new Field("vectors", vectors, true),
    ],
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
    throw new MaxsimError(
      "INVALID_OPTION",
      `The LanceDB table ${where} is not a maxsim collection (its schema metadata has no "${LANCE_META_KEY}" record). Open a table created by LanceCollection.create, or create one.`,
    );
  }
  if (typeof meta.collectionFormat === "number" && meta.collectionFormat > LANCE_COLLECTION_FORMAT) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `The LanceDB table ${where} was written by a newer @maxsim/lancedb (format ${meta.collectionFormat}, this one reads ≤ ${LANCE_COLLECTION_FORMAT}). Upgrade @maxsim/lancedb.`,
    );
  }
  const pooling = meta.pooling;
  if (
    pooling !== undefined &&
    (!Number.isInteger(pooling.poolFactor) || pooling.poolFactor < 1 || !Number.isInteger(pooling.protectedTokens) || pooling.protectedTokens < 0)
  ) {
    throw new MaxsimError(
      "INDEX_CORRUPT",
      `The LanceDB table ${where} records invalid token pooling ${JSON.stringify(pooling)}. Restore the table from an earlier version (LanceDB checkout/restore) or rebuild it.`,
    );
  }
  return {
    collectionFormat: meta.collectionFormat ?? 1,
    engine: "lancedb",
    vectorType: meta.vectorType ?? "float32",
    model: meta.model,
    ...(pooling ? { pooling } : {}),
  };
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

/**
 * The `vectors` column built straight from the token arrays (one copy into a flat Float32 or
 * float16 buffer, offsets per document), not through per-number JavaScript arrays.
 */
function vectorsData(rows: readonly DocumentRow[], list: List<FixedSizeList>): Data {
  const fsl = list.children[0]!.type;
  const dim = fsl.listSize;
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!.vectors.length;
  const total = offsets[rows.length]!;
  const flat = new Float32Array(total * dim);
  for (let i = 0; i < rows.length; i++) flat.set(rows[i]!.vectors.data.subarray(0, rows[i]!.vectors.length * dim), offsets[i]! * dim);
  const itemType = fsl.children[0]!.type;
  const values = itemType instanceof Float16 ? makeData({ type: itemType, data: toFloat16(flat) }) : makeData({ type: itemType as Float32, data: flat });
  const tokens = makeData({ type: fsl, length: total, nullCount: 0, child: values });
  return makeData({ type: list, length: rows.length, nullCount: 0, valueOffsets: offsets, child: tokens });
}

/**
 * Rows → an Arrow table with the table's `columns` (filter columns a row does not use are null).
 * Types are built here rather than taken from `table.schema()`, whose objects come from the
 * CommonJS copy of apache-arrow that LanceDB loads (Arrow's visitors do not recognise them).
 */
export function rowsToArrow(rows: readonly DocumentRow[], columns: readonly string[], dim: number, vectorType: LanceVectorType): ArrowTable {
  const schema = new SchemaType(
    columns.map((name) => {
      if (name === "id") return new Field("id", new Utf8(), false);
      if (name === "text" || name === "metadata") return new Field(name, new Utf8(), true);
      if (name === "vectors") return new Field(name, vectorsType(dim, vectorType), true);
      return metaField(name);
    }),
  );
  const children = schema.fields.map((f): Data => {
    switch (f.name) {
      case "id":
        return vectorFromArray(
          rows.map((r) => r.id),
          new Utf8(),
        ).data[0]!;
      case "text":
        return vectorFromArray(
          rows.map((r) => r.text),
          new Utf8(),
        ).data[0]!;
      case "metadata":
        return vectorFromArray(
          rows.map((r) => JSON.stringify(r.metadata)),
          new Utf8(),
        ).data[0]!;
      case "vectors":
        return vectorsData(rows, f.type as List<FixedSizeList>);
      default:
        return vectorFromArray(
          rows.map((r) => r.meta.get(f.name) ?? null),
          f.type,
        ).data[0]!;
    }
  });
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
  return new TableType([batch]);
}

/** Arrow type of a filter column, re-exported for the collection's schema evolution. */
export function metaField(name: string): FieldT {
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
