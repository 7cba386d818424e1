/** The installed `@maxsim/core` version, read from its package.json (src/ and dist/ sit beside it). */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/**
 * The version of `@maxsim/core` in use, as `maxsim --version` prints it.
 *
 * @example
 * ```ts
 * import { maxsimVersion } from "@maxsim/core";
 * console.log(/^\d+\.\d+\.\d+/.test(maxsimVersion())); // true
 * ```
 */
export function maxsimVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return cached;
}
