/**
 * Reads of a collection table by id and by filter (ids and metadata only, never vectors).
 */
import type { Table } from "@lancedb/lancedb";
import { compileFilter } from "@maxsim/core";
import type { Filter, Metadata, StoredDocument } from "@maxsim/core";
import { idsIn } from "./filter-sql.js";

/** Which of `ids` are stored. */
export async function existingIds(table: Table, ids: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await table
      .query()
      .where(idsIn(ids.slice(i, i + 500)))
      .select(["id"])
      .toArray();
    for (const r of rows as { id: string }[]) out.push(r.id);
  }
  return out;
}

/** The stored documents for `ids`, `undefined` for unknown ids. */
export async function readDocuments(table: Table, ids: readonly string[]): Promise<(StoredDocument | undefined)[]> {
  const found = new Map<string, StoredDocument>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (await table
      .query()
      .where(idsIn(ids.slice(i, i + 500)))
      .select(["id", "text", "metadata"])
      .toArray()) as {
      id: string;
      text: string | null;
      metadata: string | null;
    }[];
    for (const r of rows) found.set(r.id, { id: r.id, text: r.text ?? "", metadata: JSON.parse(r.metadata ?? "{}") as Metadata });
  }
  return ids.map((id) => found.get(id));
}

/** Ids whose metadata pass `filter`: `where` (its SQL) narrows the scan, core's predicate decides. */
export async function matchingIds(table: Table, filter: Filter, where: string | undefined): Promise<string[]> {
  const pass = compileFilter(filter);
  const query = table.query().select(["id", "metadata"]);
  if (where !== undefined) query.where(where);
  const rows = (await query.toArray()) as { id: string; metadata: string | null }[];
  return rows.filter((r) => pass(JSON.parse(r.metadata ?? "{}") as Metadata, r.id)).map((r) => r.id);
}
