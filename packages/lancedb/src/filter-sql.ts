/**
 * Core's filter language → a LanceDB SQL `where` clause over the filter columns of
 * `meta-columns.ts`. Values become SQL literals (strings single-quoted with `'` doubled; finite
 * numbers in JavaScript's round-trip form; `TRUE`/`FALSE`), paths become hex column names in
 * backticks: nothing a user writes in metadata or in a filter can end the literal or the
 * identifier. Every atom is wrapped in `COALESCE(…, FALSE)` so a missing column value (NULL) is a
 * non-match, and negations (`$ne`, `$nin`) are exact complements, as in core.
 *
 * Semantics follow core's `compileFilter`: an array field matches when any element does, `null`
 * matches a missing field, ordered comparisons only between two numbers or two strings,
 * `$contains` is a substring of a string field or membership in an array field.
 */
import { MaxsimError, compileFilter } from "@maxsim/core";
import type { FilterValue, MetadataFilter } from "@maxsim/core";
import { metaColumn } from "./meta-columns.js";

/** A SQL string literal: single quotes doubled (standard SQL; LanceDB reads backslashes literally). */
export function sqlString(value: string): string {
  if (value.includes("\u0000"))
    throw new MaxsimError("INVALID_FILTER", "A filter value contains a NUL character, which LanceDB SQL cannot hold. Remove it from the value.");
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL number literal (finite numbers only). */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new MaxsimError("INVALID_FILTER", `A filter number must be finite, got ${String(value)}. Use a finite number.`);
  return Object.is(value, -0) ? "0" : String(value);
}

/** An `id IN (…)` clause (or `FALSE` for no ids). */
export function idsIn(ids: readonly string[]): string {
  return ids.length === 0 ? "FALSE" : `id IN (${ids.map(sqlString).join(", ")})`;
}

function col(kind: "s" | "n" | "b" | "t", path: string): string {
  return `\`${metaColumn(kind, path)}\``;
}

/** Looks up which filter columns exist; a missing column is a value nobody has. */
export type HasColumn = (name: string) => boolean;

const F = "FALSE";

function atom(has: HasColumn, kind: "s" | "n" | "b" | "t", path: string, expr: (c: string) => string): string {
  return has(metaColumn(kind, path)) ? `COALESCE(${expr(col(kind, path))}, FALSE)` : F;
}

function equals(has: HasColumn, path: string, v: FilterValue): string {
  if (v === null) {
    // equals(undefined, null) and equals(null, null) are true in core; arrays never equal null.
    return has(metaColumn("t", path)) ? `(${col("t", path)} IS NULL OR ${col("t", path)} = 'null')` : "TRUE";
  }
  if (typeof v === "string") return atom(has, "s", path, (c) => `array_has(${c}, ${sqlString(v)})`);
  if (typeof v === "number") return atom(has, "n", path, (c) => `array_has(${c}, ${sqlNumber(v)})`);
  return atom(has, "b", path, (c) => `array_has(${c}, ${v ? "TRUE" : "FALSE"})`);
}

function compare(has: HasColumn, path: string, v: string | number, op: "$gt" | "$gte" | "$lt" | "$lte"): string {
  const kind = typeof v === "string" ? "s" : "n";
  const lit = typeof v === "string" ? sqlString(v) : sqlNumber(v);
  // "any element > v" is "max > v"; "any element < v" is "min < v".
  const fn = op === "$gt" || op === "$gte" ? "array_max" : "array_min";
  const sym = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" }[op];
  return atom(has, kind, path, (c) => `${fn}(${c}) ${sym} ${lit}`);
}

function contains(has: HasColumn, path: string, v: string | number | boolean): string {
  const inArray = `(${col("t", path)} = 'array' AND ${equals(has, path, v)})`;
  if (!has(metaColumn("t", path))) return F;
  if (typeof v !== "string") return `COALESCE(${inArray}, FALSE)`;
  const sub = atom(has, "s", path, (c) => `strpos(array_element(${c}, 1), ${sqlString(v)}) > 0`);
  return `COALESCE((${col("t", path)} = 'string' AND ${sub}) OR ${inArray}, FALSE)`;
}

function field(has: HasColumn, path: string, spec: unknown): string {
  if (spec === null || typeof spec !== "object") return equals(has, path, spec as FilterValue);
  const parts: string[] = [];
  for (const [op, v] of Object.entries(spec as Record<string, unknown>)) {
    switch (op) {
      case "$eq":
        parts.push(equals(has, path, v as FilterValue));
        break;
      case "$ne":
        parts.push(`NOT (${equals(has, path, v as FilterValue)})`);
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        parts.push(compare(has, path, v as string | number, op));
        break;
      case "$in":
        parts.push(`(${(v as FilterValue[]).map((x) => equals(has, path, x)).join(" OR ") || F})`);
        break;
      case "$nin":
        parts.push(`NOT (${(v as FilterValue[]).map((x) => equals(has, path, x)).join(" OR ") || F})`);
        break;
      case "$contains":
        parts.push(contains(has, path, v as string | number | boolean));
        break;
      default:
        throw new MaxsimError(
          "INVALID_FILTER",
          `Invalid filter: unknown operator "${op}" on field "${path}". Use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin or $contains.`,
        );
    }
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(" AND ")})`;
}

/**
 * The `where` clause of a (validated) core metadata filter; `TRUE` for a filter with no condition.
 *
 * @param filter - a declarative filter that `compileFilter` accepted
 * @param has - which filter columns exist in the table
 * @example
 * ```ts
 * import { toLanceWhere } from "@maxsim/lancedb";
 * console.log(toLanceWhere({ lang: "fr" }, () => true)); // COALESCE(array_has(`m_s_6c616e67`, 'fr'), FALSE)
 * console.log(toLanceWhere({ lang: "it's" }, () => false)); // FALSE
 * ```
 */
export function toLanceWhere(filter: MetadataFilter, has: HasColumn): string {
  compileFilter(filter); // validates: INVALID_FILTER for a malformed filter (e.g. `$and: []`, a non-array `$in`)
  return where(filter, has);
}

function where(filter: MetadataFilter, has: HasColumn): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "$and" || key === "$or") {
      const subs = (value as MetadataFilter[]).map((f) => `(${where(f, has)})`);
      parts.push(`(${subs.join(key === "$and" ? " AND " : " OR ")})`);
    } else parts.push(field(has, key, value));
  }
  if (parts.length === 0) return "TRUE";
  return parts.length === 1 ? parts[0]! : parts.join(" AND ");
}
