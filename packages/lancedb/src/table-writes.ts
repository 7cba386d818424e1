/**
 * Writes to a collection table: filter columns added by schema evolution when a batch uses new
 * metadata paths, then one LanceDB commit per batch (append, or merge-insert on `id` for
 * upserts), each retried on commit conflicts (`conflicts.ts`).
 */
import type { Table } from "@lancedb/lancedb";
import type { Schema } from "apache-arrow";
import { withConflictRetry } from "./conflicts.js";
import { kindOf, metaColumnNullSql } from "./meta-columns.js";
import { rowsToArrow } from "./table-schema.js";
import type { DocumentRow, LanceCollectionMeta } from "./table-schema.js";

const has = (schema: Schema, name: string): boolean => schema.fields.some((f) => f.name === name);

/** Adds the filter columns `rows` use that `schema` lacks (metadata-only commit); returns the table's schema after. */
export async function addFilterColumns(table: Table, schema: Schema, rows: readonly DocumentRow[]): Promise<Schema> {
  const missing = new Set<string>();
  for (const r of rows) for (const name of r.meta.keys()) if (!has(schema, name)) missing.add(name);
  if (missing.size === 0) return schema;
  try {
    await withConflictRetry("Adding filter columns", () => table.addColumns([...missing].map((name) => ({ name, valueSql: metaColumnNullSql(kindOf(name)) }))));
  } catch (error) {
    // Another writer may have added the same columns first: take the table's schema as it is now.
    await table.checkoutLatest();
    const now = await table.schema();
    if ([...missing].some((name) => !has(now, name))) throw error;
    return now;
  }
  return table.schema();
}

/** One commit of `rows` with the table's columns: a batch is stored whole or not at all. */
export async function commitRows(table: Table, schema: Schema, rows: readonly DocumentRow[], upsert: boolean, meta: LanceCollectionMeta): Promise<void> {
  const data = rowsToArrow(
    rows,
    schema.fields.map((f) => f.name),
    meta.model.dim,
    meta.vectorType,
  );
  if (upsert) await withConflictRetry("upsertDocuments", () => table.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data));
  else await withConflictRetry("addDocuments", () => table.add(data));
}
