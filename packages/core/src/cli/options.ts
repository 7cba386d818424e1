/** Parsing of the CLI's numeric options, shared by every verb. */
import { MaxsimError } from "../errors.js";

/**
 * Parses an integer option of at least `min`; `undefined` (option not given) stays `undefined`.
 *
 * @throws `INVALID_OPTION` naming the flag and the value it got.
 */
export function intOption(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new MaxsimError("INVALID_OPTION", `${flag} must be an integer ≥ ${min}, got ${JSON.stringify(value)}.`);
  return n;
}
