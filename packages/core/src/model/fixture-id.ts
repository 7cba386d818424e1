/**
 * `fixture:<name>` model ids: the generated offline fixture models (`@maxsim/core/fixtures`),
 * accepted wherever a hub id or folder is (ColBERT.fromPretrained, Collection.create/open, the
 * wrappers' builders, every CLI verb). They let an installed app or a CI job run the whole pipeline
 * with no hub and no files of its own. The fixture generator is loaded only when such an id is used.
 */
import { MaxsimError } from "../errors.js";

/** The prefix of fixture model ids. */
export const FIXTURE_PREFIX = "fixture:";

/** True when `id` names a generated fixture (`fixture:<name>`). */
export function isFixtureId(id: string): boolean {
  return id.startsWith(FIXTURE_PREFIX);
}

/**
 * The directory of fixture `fixture:<name>`, generating it (in `$MAXSIM_FIXTURES_DIR` or the OS
 * temp dir) on first use.
 *
 * @throws MaxsimError `MODEL_NOT_FOUND` for an unknown fixture name (the message lists them).
 * @example
 * ```ts
 * import { resolveFixtureId } from "@maxsim/core";
 * const dir = await resolveFixtureId("fixture:multilingual");
 * console.log(dir.endsWith("multilingual")); // true
 * ```
 */
export async function resolveFixtureId(id: string): Promise<string> {
  const { ensureBenchFixture, ensureFixtures, fixturePaths } = await import("../fixtures/ensure.js");
  const name = id.slice(FIXTURE_PREFIX.length);
  const names = Object.keys(fixturePaths("")).filter((n) => n !== "root");
  if (!names.includes(name)) {
    throw new MaxsimError(
      "MODEL_NOT_FOUND",
      `Unknown fixture model ${JSON.stringify(id)}. Fixture ids are ${names.map((n) => `${FIXTURE_PREFIX}${n}`).join(", ")}.`,
    );
  }
  if (name === "bench") return ensureBenchFixture();
  const paths = await ensureFixtures();
  return paths[name as Exclude<keyof typeof paths, "root" | "bench">];
}
