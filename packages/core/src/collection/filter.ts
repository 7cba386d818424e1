/**
 * The metadata filter language of {@link Collection.query}: a small MongoDB-style subset
 * (`$eq $ne $in $nin $gt $gte $lt $lte $contains $and $or`, dotted paths into nested objects) or a plain
 * predicate function. A filter is compiled once into a predicate, validated up front so that a
 * typo fails loudly with `INVALID_FILTER` instead of silently matching nothing.
 *
 * The operator set and the `{ field: value }` shorthand follow the Chroma / Mongo convention
 * users already know from other vector stores.
 */
import { MaxsimError } from "../errors.js";
import { checkFilterBounds } from "../validation/filter-bounds.js";

/** Free-form metadata attached to a document; must be JSON-serialisable to persist. */
export type Metadata = Record<string, unknown>;

/** A scalar a comparison can hold. */
export type FilterValue = string | number | boolean | null;

/** Operators on one field. */
export interface FieldOperators {
  $eq?: FilterValue;
  $ne?: FilterValue;
  $gt?: string | number;
  $gte?: string | number;
  $lt?: string | number;
  $lte?: string | number;
  $in?: FilterValue[];
  $nin?: FilterValue[];
  /**
   * Substring or membership: a string field matches when it contains the string (case-sensitive;
   * a number or boolean never matches a string field); an array field matches when an element
   * strictly equals the value. Any other field, or a missing one, does not match.
   */
  $contains?: string | number | boolean;
}

/**
 * A declarative metadata filter: `{ field: value }` (equality), `{ field: { $op: value } }`,
 * `{ $and: [...] }`, `{ $or: [...] }`. Several keys in one object are AND-ed. `field` may be a
 * dotted path (`"author.name"`) into nested objects.
 */
export interface MetadataFilter {
  $and?: MetadataFilter[];
  $or?: MetadataFilter[];
  [field: string]: FilterValue | FieldOperators | MetadataFilter[] | undefined;
}

/** A filter: declarative, or a predicate over a document's metadata and id. */
export type Filter = MetadataFilter | ((metadata: Metadata, id: string) => boolean);

/** A compiled filter. */
export type FilterPredicate = (metadata: Metadata, id: string) => boolean;

const FIELD_OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains"] as const;
const LOGICAL_OPERATORS = ["$and", "$or"] as const;
const VALID = `field operators ${FIELD_OPERATORS.join(", ")}; logical operators ${LOGICAL_OPERATORS.join(", ")}`;

function invalid(problem: string): MaxsimError {
  return new MaxsimError(
    "INVALID_FILTER",
    `Invalid filter: ${problem}. Use { field: value }, { field: { $op: value } } or { $and | $or: [filters] } with ${VALID}, or a function (metadata, id) => boolean.`,
  );
}

function isScalar(v: unknown): v is FilterValue {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a dotted path; a literal key containing dots wins over the nested reading. */
function getPath(metadata: Metadata, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(metadata, path)) return metadata[path];
  if (!path.includes(".")) return undefined;
  let cur: unknown = metadata;
  for (const part of path.split(".")) {
    if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Equality on scalars; an array field matches when any element equals (Mongo semantics). */
function equals(actual: unknown, expected: FilterValue): boolean {
  if (Array.isArray(actual)) return actual.some((a) => a === expected);
  if (actual === undefined) return expected === null;
  return actual === expected;
}

/** Ordered comparison only between two numbers or two strings; anything else does not match. */
function compare(actual: unknown, expected: string | number, op: "$gt" | "$gte" | "$lt" | "$lte"): boolean {
  const test = (a: unknown): boolean => {
    if (typeof a !== typeof expected || (typeof a !== "number" && typeof a !== "string")) return false;
    const x = a as string | number;
    switch (op) {
      case "$gt":
        return x > expected;
      case "$gte":
        return x >= expected;
      case "$lt":
        return x < expected;
      case "$lte":
        return x <= expected;
    }
  };
  return Array.isArray(actual) ? actual.some(test) : test(actual);
}

/** `$contains`: substring of a string field, or strict membership in an array field. */
function contains(actual: unknown, needle: string | number | boolean): boolean {
  if (typeof actual === "string") return typeof needle === "string" && actual.includes(needle);
  if (Array.isArray(actual)) return actual.some((a) => a === needle);
  return false;
}

function compileField(field: string, spec: unknown): FilterPredicate {
  if (field.length === 0) throw invalid("an empty field name");
  if (isScalar(spec)) return (m) => equals(getPath(m, field), spec);
  if (Array.isArray(spec)) {
    throw invalid(`field "${field}" has an array value; use { "${field}": { "$in": [...] } } to match any of several values`);
  }
  if (!isPlainObject(spec)) throw invalid(`field "${field}" has a value of type ${typeof spec}`);
  const keys = Object.keys(spec);
  if (keys.length === 0) throw invalid(`field "${field}" has an empty operator object`);
  const parts: FilterPredicate[] = [];
  for (const op of keys) {
    const v = spec[op];
    switch (op) {
      case "$eq":
      case "$ne": {
        if (!isScalar(v)) throw invalid(`${op} on "${field}" needs a string, number, boolean or null`);
        parts.push(op === "$eq" ? (m) => equals(getPath(m, field), v) : (m) => !equals(getPath(m, field), v));
        break;
      }
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte": {
        if (typeof v !== "number" && typeof v !== "string") throw invalid(`${op} on "${field}" needs a number or a string`);
        if (typeof v === "number" && Number.isNaN(v)) throw invalid(`${op} on "${field}" is NaN`);
        parts.push((m) => compare(getPath(m, field), v, op));
        break;
      }
      case "$in":
      case "$nin": {
        if (!Array.isArray(v) || !v.every(isScalar)) throw invalid(`${op} on "${field}" needs an array of strings, numbers, booleans or null`);
        const values = v as FilterValue[];
        const any = (m: Metadata): boolean => {
          const a = getPath(m, field);
          return values.some((x) => equals(a, x));
        };
        parts.push(op === "$in" ? any : (m) => !any(m));
        break;
      }
      case "$contains": {
        if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
          throw invalid(`$contains on "${field}" needs a string, number or boolean`);
        }
        parts.push((m) => contains(getPath(m, field), v));
        break;
      }
      default:
        throw invalid(`unknown operator "${op}" on field "${field}"`);
    }
  }
  return parts.length === 1 ? parts[0]! : (m, id) => parts.every((p) => p(m, id));
}

function compileObject(filter: unknown, where: string): FilterPredicate {
  if (!isPlainObject(filter)) throw invalid(`${where} must be an object, got ${Array.isArray(filter) ? "an array" : typeof filter}`);
  const parts: FilterPredicate[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) throw invalid(`${key} needs a non-empty array of filters`);
      const subs = value.map((f, i) => compileObject(f, `${key}[${i}]`));
      parts.push(key === "$and" ? (m, id) => subs.every((s) => s(m, id)) : (m, id) => subs.some((s) => s(m, id)));
    } else if (key.startsWith("$")) {
      throw invalid(`unknown top-level operator "${key}"`);
    } else {
      parts.push(compileField(key, value));
    }
  }
  if (parts.length === 0) return () => true;
  return parts.length === 1 ? parts[0]! : (m, id) => parts.every((p) => p(m, id));
}

/**
 * Compiles a {@link Filter} into a predicate, validating every operator first.
 *
 * @param filter - a declarative filter or a predicate function (returned unchanged)
 * @throws MaxsimError `INVALID_FILTER` naming the bad operator or field and the valid ones, or a
 *   filter deeper than `MAX_FILTER_DEPTH` (32) or larger than `MAX_FILTER_NODES` (100,000)
 * @example
 * ```ts
 * import { compileFilter, MaxsimError } from "@maxsim/core";
 * const pass = compileFilter({ lang: { $in: ["fr", "de"] }, year: { $gte: 2020 } });
 * console.log(pass({ lang: "fr", year: 2021 }, "doc-1")); // true
 * console.log(pass({ lang: "en", year: 2021 }, "doc-2")); // false
 * const about = compileFilter({ title: { $contains: "cat" }, tags: { $contains: "pets" } });
 * console.log(about({ title: "the black cat", tags: ["pets", "home"] }, "doc-3")); // true
 * console.log(about({ title: "the black cat", tags: "pets" }, "doc-4")); // true
 * console.log(about({ title: "the dog", tags: ["pets"] }, "doc-5")); // false
 * try {
 *   compileFilter({ year: { $gtt: 1 } } as never);
 * } catch (e) {
 *   if (MaxsimError.isInstance(e)) console.log(e.code); // INVALID_FILTER
 * }
 * ```
 */
export function compileFilter(filter: Filter): FilterPredicate {
  if (typeof filter === "function") return filter;
  // Depth and size first (iteratively): compileObject recurses once per level.
  checkFilterBounds(filter);
  return compileObject(filter, "the filter");
}

/**
 * Parses a filter given as JSON text (the CLI's `--filter`).
 *
 * @throws MaxsimError `INVALID_FILTER` for unparsable JSON or an invalid filter
 * @example
 * ```ts
 * import { parseFilterJson } from "@maxsim/core";
 * console.log(parseFilterJson('{"lang":"fr"}')); // { lang: "fr" }
 * ```
 */
export function parseFilterJson(json: string): MetadataFilter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MaxsimError("INVALID_FILTER", `Invalid filter: not valid JSON (${(error as Error).message}). Pass a JSON object such as '{"lang":"fr"}'.`, {
      cause: error,
    });
  }
  checkFilterBounds(parsed);
  compileObject(parsed, "the filter");
  return parsed as MetadataFilter;
}
