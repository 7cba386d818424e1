/**
 * How validation errors name a value: its type in words (`a string "abc"`, `null`, `an array of
 * 3`, `a Set`, `NaN`), so a message says what the caller passed, not only what was expected.
 */

/**
 * A short description of `value`'s type (and a preview of small scalars) for error messages.
 *
 * @example
 * ```ts
 * import { describeValue } from "@maxsim/core/validation";
 * console.log(describeValue("abc"), "|", describeValue(null), "|", describeValue(new Set()), "|", describeValue(NaN)); // a string "abc" | null | a Set | NaN
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  switch (typeof value) {
    case "string":
      return value.length <= 40 ? `a string ${JSON.stringify(value)}` : `a string of ${value.length} characters`;
    case "number":
      return Number.isNaN(value) ? "NaN" : Number.isFinite(value) ? `the number ${value}` : `${value}`;
    case "bigint":
      return `a BigInt (${value}n)`;
    case "boolean":
      return `the boolean ${value}`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto === null ? "" : (proto.constructor?.name ?? "");
  if (proto === null || name === "Object") return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/** `options.filter.$or[2]` from a path of keys and indexes. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out.length === 0 ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The value at `path` inside `root` (own properties only), or `undefined`. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || (typeof cur !== "object" && typeof cur !== "function")) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
