/**
 * The one place where zod issues become maxsim errors: `MaxsimError("INVALID_INPUT" |
 * "INVALID_OPTION", …)` naming the call, the field, what it must be, what was passed and the fix.
 * Every public boundary validates through {@link validate}, so every message has the same shape:
 *
 * `Collection.query: options.k must be an integer ≥ 0, such as 10 (got a string "3"). <fix>`
 */
import type { z } from "zod";
import { MaxsimError } from "../errors.js";
import { describeValue, formatPath, valueAt } from "./describe.js";

/** Where a value is validated and what to tell the caller. */
export interface ValidationContext {
  /** The public call, e.g. `"Collection.query"`. */
  where: string;
  /** How the value is named in messages, e.g. `"options"` or `"docs"`. */
  name: string;
  /** `INVALID_INPUT` for data (documents, ids, texts), `INVALID_OPTION` for options. */
  code: "INVALID_INPUT" | "INVALID_OPTION";
  /** The fix, appended to every message (e.g. an example call). */
  fix: string;
}

function issueText(issue: z.core.$ZodIssue, input: unknown): string {
  // Our schemas set their messages as "must be …" phrases; zod's own defaults are kept as they are.
  const got = describeValue(valueAt(input, issue.path));
  const text = issue.message.startsWith("must ") ? issue.message : `is invalid: ${issue.message}`;
  return `${text} (got ${got})`;
}

/**
 * Parses `value` with `schema` and returns it **unchanged** (functions, encoders and signals keep
 * their identity), or throws one `MaxsimError` naming the first problem.
 *
 * @throws MaxsimError `ctx.code` naming the field, the value's type and `ctx.fix`
 * @example
 * ```ts
 * import { z } from "zod";
 * import { validate } from "@maxsim/core/validation";
 * try {
 *   validate(z.object({ k: z.number({ error: "must be a number" }) }), { k: "3" }, { where: "demo", name: "options", code: "INVALID_OPTION", fix: "Pass { k: 3 }." });
 * } catch (e) {
 *   console.log((e as Error).message); // demo: options.k must be a number (got a string "3"). Pass { k: 3 }.
 * }
 * ```
 */
export function validate<T>(schema: z.ZodType<T>, value: unknown, ctx: ValidationContext): T {
  const result = schema.safeParse(value);
  if (result.success) return value as T;
  const issue = result.error.issues[0]!;
  const field = formatPath(ctx.name, issue.path);
  throw new MaxsimError(ctx.code, `${ctx.where}: ${field} ${issueText(issue, value)}. ${ctx.fix}`, { cause: result.error });
}
