/**
 * Constructor checks shared by the LangChain and LlamaIndex wrappers, so `new MaxSimReranker({
 * model })` or `new MaxSimRetriever({ model })` get a typed error that names the builder to use
 * (or, for rerankers, a lazily loaded model) instead of a `TypeError` on first use.
 */
import { MaxsimError } from "../errors.js";
import { describeValue } from "./describe.js";
import { encoderSchema } from "./schemas.js";

/** Where a reranker gets its encoder: given, or loaded from `model` on first use. */
export type RerankerSource = { kind: "encoder" } | { kind: "model"; model: string };

/**
 * Validates a reranker's constructor fields: `{ encoder }` (a loaded encoder) or `{ model }` (a hub
 * id or directory, loaded on first use as LangChain's own rerankers take a model name). `topN` is
 * checked by core's `rerank` on each call.
 *
 * @param where - `"MaxSimReranker"` (the class name, for messages)
 * @throws MaxsimError `INVALID_OPTION` naming `fromPretrained`
 * @example
 * ```ts
 * import { checkRerankerFields } from "@maxsim/core/validation";
 * console.log(checkRerankerFields("MaxSimReranker", { model: "lightonai/colbertv2.0" })); // { kind: 'model', model: 'lightonai/colbertv2.0' }
 * try {
 *   checkRerankerFields("MaxSimReranker", { model: 42 });
 * } catch (e) {
 *   console.log((e as { code: string }).code); // INVALID_OPTION
 * }
 * ```
 */
export function checkRerankerFields(where: string, fields: unknown): RerankerSource {
  const fix = `Pass { encoder } (e.g. retriever.collection.encoder), { model: "<hub id or directory>" } (loaded on first use), or use await ${where}.fromPretrained("<hub id or directory>").`;
  if (typeof fields !== "object" || fields === null)
    throw new MaxsimError("INVALID_OPTION", `new ${where}(…): the options must be an object, got ${describeValue(fields)}. ${fix}`);
  const f = fields as Record<string, unknown>;
  if (f["encoder"] !== undefined) {
    if (!encoderSchema.safeParse(f["encoder"]).success) {
      throw new MaxsimError("INVALID_OPTION", `new ${where}(…): encoder must be a loaded Encoder (got ${describeValue(f["encoder"])}). ${fix}`);
    }
    return { kind: "encoder" };
  }
  if (typeof f["model"] === "string" && f["model"].length > 0) return { kind: "model", model: f["model"] };
  throw new MaxsimError(
    "INVALID_OPTION",
    `new ${where}(…) needs an encoder or a model; ${f["model"] === undefined ? "neither was given" : `model is ${describeValue(f["model"])}`}. ${fix}`,
  );
}

/**
 * Validates a retriever's constructor fields: a `collection` (a core `Collection` or another
 * `RetrievalCollection` with `query`); `k` is checked by the collection's `query`.
 *
 * @param builders - the static builders to name in the message (`"fromDocuments / fromExistingIndex"`)
 * @throws MaxsimError `INVALID_OPTION` naming the builders
 * @example
 * ```ts
 * import { checkRetrieverFields } from "@maxsim/core/validation";
 * try {
 *   checkRetrieverFields("MaxSimRetriever", { model: "lightonai/colbertv2.0" }, "fromDocuments(docs, { model }) / fromExistingIndex(dir)");
 * } catch (e) {
 *   console.log((e as { code: string }).code); // INVALID_OPTION
 * }
 * ```
 */
export function checkRetrieverFields(where: string, fields: unknown, builders: string): void {
  const fix = `Build one with await ${where}.${builders.split(" / ").join(` or ${where}.`)}, or pass { collection } (a Collection).`;
  if (typeof fields !== "object" || fields === null)
    throw new MaxsimError("INVALID_OPTION", `new ${where}(…): the options must be an object, got ${describeValue(fields)}. ${fix}`);
  const f = fields as Record<string, unknown>;
  const c = f["collection"] as { query?: unknown } | undefined;
  if (typeof c !== "object" || c === null || typeof c.query !== "function") {
    const why =
      c === undefined
        ? f["model"] !== undefined
          ? "a model alone has no documents to search"
          : "no collection was given"
        : `collection is ${describeValue(c)}`;
    throw new MaxsimError("INVALID_OPTION", `new ${where}(…) needs a collection to search: ${why}. ${fix}`);
  }
}

/**
 * Throws `INVALID_INPUT` unless `value` is an array (a string, Set or single object is not
 * iterated as a list): for wrapper methods that map their input before core sees it.
 *
 * @throws MaxsimError `INVALID_INPUT` naming the call, the argument and its type
 * @example
 * ```ts
 * import { requireArray } from "@maxsim/core/validation";
 * try {
 *   requireArray("MaxSimRetriever.addDocuments", "docs", "text", "[new Document({ pageContent })]");
 * } catch (e) {
 *   console.log((e as { code: string }).code); // INVALID_INPUT
 * }
 * ```
 */
export function requireArray(where: string, name: string, value: unknown, example: string): void {
  if (!Array.isArray(value)) throw new MaxsimError("INVALID_INPUT", `${where}: ${name} must be an array, got ${describeValue(value)}. Pass e.g. ${example}.`);
}
