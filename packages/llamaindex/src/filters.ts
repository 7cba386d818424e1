/**
 * Translation of LlamaIndex `MetadataFilters` into the filter language of `@maxsim/core`
 * (`Collection.query({ filter })`). Translation only: core validates and evaluates the result.
 *
 * Semantics follow LlamaIndex's own `SimpleVectorStore` where the two languages differ: a node
 * whose metadata lacks the key never passes an operator (so `!=` and `nin` also require the key
 * to be present), `contains` / `any` / `all` look inside array values, and `text_match` is core's
 * `$contains` (substring of a string value, or membership in an array value, as LlamaIndex's
 * `value.includes(x)`). Every translation is declarative, so the result is plain JSON.
 */
import { MaxsimError } from "@maxsim/core";
import type { MetadataFilter as CoreFilter } from "@maxsim/core";
import type { MetadataFilter, MetadataFilters, MetadataFilterValue } from "llamaindex";

/**
 * The LlamaIndex operators this package translates.
 *
 * @example
 * ```ts
 * import { SUPPORTED_OPERATORS } from "@maxsim/llamaindex";
 * console.log(SUPPORTED_OPERATORS.includes("text_match"), SUPPORTED_OPERATORS.length); // true 12
 * ```
 */
export const SUPPORTED_OPERATORS = ["==", "!=", ">", "<", ">=", "<=", "in", "nin", "contains", "any", "all", "text_match"] as const;

function invalid(problem: string): MaxsimError {
  return new MaxsimError(
    "INVALID_FILTER",
    `Invalid MetadataFilters: ${problem}. Use { filters: [{ key, value, operator }], condition: "and" | "or" } with operator one of ${SUPPORTED_OPERATORS.join(", ")}.`,
  );
}

function scalar(f: MetadataFilter): string | number {
  if (typeof f.value === "string" || typeof f.value === "number") return f.value;
  throw invalid(`operator "${f.operator}" on "${f.key}" needs a string or a number, got ${JSON.stringify(f.value)}`);
}

function list(f: MetadataFilter): (string | number)[] {
  const v: MetadataFilterValue | undefined = f.value;
  if (Array.isArray(v)) return [...v];
  throw invalid(`operator "${f.operator}" on "${f.key}" needs an array value, got ${JSON.stringify(v)}`);
}

/** One LlamaIndex filter as a core filter. */
function translateOne(f: MetadataFilter): CoreFilter {
  const key = f.key;
  if (typeof key !== "string" || key.length === 0) throw invalid(`a filter without a key (${JSON.stringify(f)})`);
  switch (f.operator) {
    case "==":
      return { [key]: { $eq: scalar(f) } };
    // `null` in the excluded values makes a node without the key fail, as in LlamaIndex.
    case "!=":
      return { [key]: { $nin: [scalar(f), null] } };
    case "nin":
      return { [key]: { $nin: [...list(f), null] } };
    case "in":
      return { [key]: { $in: list(f) } };
    case ">":
      return { [key]: { $gt: scalar(f) } };
    case "<":
      return { [key]: { $lt: scalar(f) } };
    case ">=":
      return { [key]: { $gte: scalar(f) } };
    case "<=":
      return { [key]: { $lte: scalar(f) } };
    // Core's equality matches an array field when any element equals (Mongo semantics).
    case "contains":
      return { [key]: { $eq: scalar(f) } };
    case "any":
      return { [key]: { $in: list(f) } };
    case "all": {
      const values = list(f);
      if (values.length === 0) throw invalid(`operator "all" on "${key}" needs at least one value`);
      return { $and: values.map((v) => ({ [key]: { $eq: v } })) };
    }
    // LlamaIndex evaluates `metadata[key].includes(value)`: substring of a string, element of an array.
    case "text_match":
      return { [key]: { $contains: scalar(f) } };
    default:
      throw invalid(`operator "${String(f.operator)}" on "${key}" is not supported`);
  }
}

/**
 * Translates LlamaIndex `MetadataFilters` into a `@maxsim/core` filter.
 *
 * Operators: `==`, `!=`, `>`, `<`, `>=`, `<=`, `in`, `nin`, `contains`, `any`, `all` and
 * `text_match` (core's `$contains`) all become core's declarative filter, plain JSON that can be
 * logged or stored. `is_empty` has no equivalent and is rejected.
 *
 * @param filters - LlamaIndex filters; `condition` defaults to `"and"`
 * @returns the core filter, or `undefined` when there is nothing to filter on
 * @throws MaxsimError `INVALID_FILTER` for an unsupported operator or condition, or a value of the wrong shape
 * @example
 * ```ts
 * import { MaxsimError } from "@maxsim/core";
 * import { toCoreFilter } from "@maxsim/llamaindex";
 * const filter = toCoreFilter({ filters: [{ key: "lang", value: "zh", operator: "==" }, { key: "year", value: 2020, operator: ">=" }] });
 * console.log(JSON.stringify(filter)); // {"$and":[{"lang":{"$eq":"zh"}},{"year":{"$gte":2020}}]}
 * try {
 *   toCoreFilter({ filters: [{ key: "lang", operator: "is_empty" }] });
 * } catch (error) {
 *   if (MaxsimError.isInstance(error)) console.log(error.code); // INVALID_FILTER
 * }
 * ```
 */
export function toCoreFilter(filters: MetadataFilters | undefined): CoreFilter | undefined {
  if (filters === undefined) return undefined;
  const condition = filters.condition ?? "and";
  if (condition !== "and" && condition !== "or") throw invalid(`condition "${String(condition)}" is not supported`);
  if (!Array.isArray(filters.filters)) throw invalid("`filters` must be an array");
  if (filters.filters.length === 0) return undefined;
  const parts = filters.filters.map(translateOne);
  if (parts.length === 1) return parts[0];
  return condition === "and" ? { $and: parts } : { $or: parts };
}
