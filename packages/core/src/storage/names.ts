/**
 * Validation of the names that become parts of file names inside an index directory. Ids are data
 * inside segments and never reach the file system; blob names and segment names do, so they are
 * restricted to a safe alphabet with no path separators.
 */
import { MaxsimError } from "../errors.js";

/** The alphabet of segment and blob names: lower-case letters, digits, `.`, `_`, `-`. */
export const NAME_PATTERN = /^[a-z0-9._-]+$/;

/**
 * True when `name` may be used as a segment or blob name (pattern, ≤ 100 chars, no leading dot).
 *
 * @example
 * ```ts
 * import { isValidName } from "@maxsim/core";
 * console.log(isValidName("plaid-state"), isValidName("../x"), isValidName("Centroids")); // true false false
 * ```
 */
export function isValidName(name: unknown): name is string {
  return typeof name === "string" && name.length <= 100 && NAME_PATTERN.test(name) && !name.startsWith(".");
}

/**
 * Throws `INVALID_ID` unless `name` is a valid segment or blob name.
 *
 * @param name - the name to check.
 * @param what - what the name is for, used in the message ("blob", "segment").
 * @throws MaxsimError `INVALID_ID`
 */
export function assertValidName(name: unknown, what: string): asserts name is string {
  if (!isValidName(name)) {
    throw new MaxsimError("INVALID_ID", `Invalid ${what} name ${JSON.stringify(name)}. Use 1–100 characters from [a-z0-9._-], not starting with ".".`);
  }
}
