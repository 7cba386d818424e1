/**
 * Bounds of the declarative filter language, checked iteratively before a filter is compiled:
 * the compiler recurses once per `$and`/`$or` level, so an unchecked filter nested 5,000 deep
 * overflowed the stack (`RangeError`), and a filter of millions of clauses would be compiled and
 * run once per document.
 */
import { MaxsimError } from "../errors.js";
import { describeValue } from "./describe.js";

/** Deepest nesting of objects and arrays in a filter (`{ $or: [{ a: 1 }] }` is depth 3). */
export const MAX_FILTER_DEPTH = 32;
/** Most objects, arrays and values in one filter (the values of `$in` lists included). */
export const MAX_FILTER_NODES = 100_000;

/**
 * Throws `INVALID_FILTER` when a declarative filter nests deeper than {@link MAX_FILTER_DEPTH}
 * or holds more than {@link MAX_FILTER_NODES} nodes (a filter that contains itself hits the depth limit). Functions pass unchecked.
 *
 * @throws MaxsimError `INVALID_FILTER` naming the limit and the fix
 * @example
 * ```ts
 * import { checkFilterBounds } from "@maxsim/core/validation";
 * let deep: object = { lang: "fr" };
 * for (let i = 0; i < 5000; i++) deep = { $or: [deep] };
 * try {
 *   checkFilterBounds(deep);
 * } catch (e) {
 *   console.log((e as { code: string }).code); // INVALID_FILTER
 * }
 * ```
 */
export function checkFilterBounds(filter: unknown): void {
  if (typeof filter === "function") return;
  if (typeof filter !== "object" || filter === null) {
    throw new MaxsimError(
      "INVALID_FILTER",
      `Invalid filter: the filter must be an object or a function (metadata, id) => boolean, got ${describeValue(filter)}. Pass e.g. { lang: "fr" } or omit it.`,
    );
  }
  const stack: [value: object, depth: number][] = [[filter, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_FILTER_DEPTH) {
      throw new MaxsimError(
        "INVALID_FILTER",
        `Invalid filter: it nests deeper than ${MAX_FILTER_DEPTH} levels. Flatten it: { $or: [a, b, c] } instead of { $or: [a, { $or: [b, c] }] }, { field: { $in: [...] } } for many values, or pass a function.`,
      );
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    nodes += 1 + children.length;
    if (nodes > MAX_FILTER_NODES) {
      throw new MaxsimError(
        "INVALID_FILTER",
        `Invalid filter: it holds more than ${MAX_FILTER_NODES} clauses and values. Split the work into several queries, or pass a function (metadata, id) => boolean over a Set of ids.`,
      );
    }
    for (const child of children) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
}
