/**
 * Filter columns: each metadata path a document uses becomes typed list columns of the table, so
 * core filters run as LanceDB SQL (`array_has`, `array_max`, …) instead of in JavaScript over every
 * row. The JSON `metadata` column stays the source of truth; these columns are derived from it.
 *
 * A path `p` (dotted through nested objects, as core's filters read it) has up to four columns,
 * created on first use (`addColumns`): `m_s_<hex p>` strings, `m_n_<hex p>` numbers, `m_b_<hex p>`
 * booleans (a scalar is a one-element list, an array field its scalar elements) and `m_t_<hex p>`,
 * the JSON type at `p` (`string`, `number`, `boolean`, `null`, `array`, `object`). Column names
 * carry the path as hex, so no metadata key ever reaches SQL as an identifier.
 */
import { createRequire } from "node:module";
import type { DataType } from "apache-arrow";
import type { Metadata } from "@maxsim/core";

// The CommonJS copy of apache-arrow, the one LanceDB checks objects against (see table-schema.ts).
const { Bool, Field, Float64, List, Utf8 } = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");

/** The kinds of filter column. */
export type MetaKind = "s" | "n" | "b" | "t";

const PREFIX = "m_";

/** The column holding `kind` values of metadata path `path`. */
export function metaColumn(kind: MetaKind, path: string): string {
  return `${PREFIX}${kind}_${Buffer.from(path, "utf8").toString("hex")}`;
}

/** True for a filter column name. */
export function isMetaColumn(name: string): boolean {
  return /^m_[snbt]_[0-9a-f]*$/.test(name);
}

/** Arrow type of a filter column. */
export function metaColumnType(kind: MetaKind): DataType {
  if (kind === "t") return new Utf8();
  const item = kind === "s" ? new Utf8() : kind === "n" ? new Float64() : new Bool();
  return new List(new Field("item", item, true));
}

/** SQL expression of an all-null column of this kind (for `addColumns`). */
export function metaColumnNullSql(kind: MetaKind): string {
  if (kind === "t") return "arrow_cast(NULL, 'Utf8')";
  return `arrow_cast(NULL, 'List(${kind === "s" ? "Utf8" : kind === "n" ? "Float64" : "Boolean"})')`;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The filter-column values of one document: column name → value (a list, or the type string). */
export function metaValues(metadata: Metadata): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      const path = prefix === "" ? key : `${prefix}.${key}`;
      // A literal key "a.b" and the nested a → b read the same path; core's filters prefer the
      // literal key, and the JavaScript re-check after the SQL prefilter keeps that rule exact.
      if (!out.has(metaColumn("t", path))) out.set(metaColumn("t", path), typeOf(value));
      const scalars = Array.isArray(value) ? value : [value];
      const push = (kind: MetaKind, v: unknown): void => {
        const col = metaColumn(kind, path);
        const list = (out.get(col) as unknown[] | undefined) ?? [];
        list.push(v);
        out.set(col, list);
      };
      for (const s of scalars) {
        if (typeof s === "string") push("s", s);
        else if (typeof s === "number" && Number.isFinite(s)) push("n", s);
        else if (typeof s === "boolean") push("b", s);
      }
      if (isPlainObject(value)) visit(value, path);
    }
  };
  visit(metadata, "");
  return out;
}

/** The kind of a filter column name. */
export function kindOf(column: string): MetaKind {
  return column[2] as MetaKind;
}
