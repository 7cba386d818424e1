/**
 * The zod schemas of every public boundary of `@maxsim/core` (Collection, MaxSimIndex, ColBERT
 * options) — the single source the HTTP server's routes reuse (import them from
 * `@maxsim/core/validation`). Each schema's messages are "must be …" phrases that
 * {@link validate} completes with the field path, the value's type and a fix.
 *
 * Schemas check shapes only and never transform: `validate` returns the caller's value itself, so
 * functions, encoders, AbortSignals and Sets keep their identity. Metadata contents (JSON, depth,
 * size) are checked by `copyJsonValue`, filters' contents by `compileFilter`.
 */
import { z } from "zod";

const CODEC_NAMES = ["float32", "float16", "residual-2", "residual-4"] as const;

/** An integer ≥ `min` (finite, safe). */
export function intAtLeast(min: number, example: string): z.ZodNumber {
  const error = `must be an integer ≥ ${min}, such as ${example}`;
  return z.number({ error }).int({ error }).min(min, { error });
}

const isPlain = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * `z.object(shape)` that also refuses non-plain objects (a typed array, Map or class instance
 * passes a shape of optional keys, then breaks the code that reads it).
 */
export function optionsObject<S extends z.core.$ZodLooseShape>(shape: S, params: string | { error: string }) {
  const error = typeof params === "string" ? params : params.error;
  // Checked on the input (a refinement would see zod's output, always a fresh plain object).
  return z.custom<unknown>(isPlain, { error }).pipe(z.object(shape, { error }));
}

const fn = <T extends (...args: never[]) => unknown>(what: string): z.ZodType<T> =>
  z.custom<T>((v) => typeof v === "function", { error: `must be a function ${what}` });

const bool = z.boolean({ error: "must be true or false" });

/** An AbortSignal (or anything shaped like one: `aborted` and `addEventListener`). */
export const abortSignalSchema = z.custom<AbortSignal>(
  (v) => typeof v === "object" && v !== null && typeof (v as AbortSignal).aborted === "boolean" && typeof (v as AbortSignal).addEventListener === "function",
  { error: "must be an AbortSignal (new AbortController().signal)" },
);

/** A plain object (`{ … }`), not an array, null, Map or class instance. */
export const plainObjectSchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null),
  { error: "must be a plain object of JSON values" },
);

/** A loaded encoder: what `ColBERT.fromPretrained` returns (or any {@link Encoder}). */
export const encoderSchema = z.custom<{ readonly dim: number }>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as { encodeQueries?: unknown }).encodeQueries === "function" &&
    typeof (v as { encodeDocuments?: unknown }).encodeDocuments === "function" &&
    Number.isInteger((v as { dim?: unknown }).dim),
  { error: "must be a loaded Encoder" },
);

/** `model`: a hub id or model directory, or a loaded encoder. */
export const modelSchema = z.union([z.string().min(1), encoderSchema], {
  error: "must be a model id or directory (a non-empty string) or a loaded Encoder (await ColBERT.fromPretrained(id))",
});

/** {@link ColBERTOptions}. */
export const colbertOptionsSchema = optionsObject(
  {
    batchSize: intAtLeast(1, "32").optional(),
    intraOpThreads: intAtLeast(1, "4").optional(),
    int8: bool.optional(),
    queryLength: intAtLeast(1, "32").optional(),
    documentLength: intAtLeast(1, "300").optional(),
    cacheDir: z.string({ error: "must be a directory path" }).min(1, { error: "must be a directory path" }).optional(),
    revision: z.string({ error: "must be a hub revision (branch, tag or commit)" }).optional(),
    localFilesOnly: bool.optional(),
    token: z.string({ error: "must be a hub token string" }).optional(),
    onProgress: fn<(message: string) => void>("(message) => void").optional(),
  },
  { error: "must be an object of model options such as { batchSize: 16 }" },
);

/** {@link IndexCodec}. */
export const codecSchema = z.enum(CODEC_NAMES, { error: `must be one of ${CODEC_NAMES.join(", ")}` });

const indexTuningShape = {
  minTrainTokens: intAtLeast(0, "32768").optional(),
  centroids: intAtLeast(1, "256").optional(),
  seed: z.number({ error: "must be an integer seed" }).int({ error: "must be an integer seed" }).optional(),
  autoRetrain: bool.optional(),
  diskTier: z.literal("float16", { error: 'must be "float16" (with a residual codec) or omitted' }).optional(),
  targetRecall: z.number({ error: "must be a recall target in (0, 1], such as 0.97" }).optional(),
  latencyBudgetMs: z.number({ error: "must be a latency budget in ms ≥ 0, such as 10" }).optional(),
};

/** The planner options of a search or query (ranges are checked by the index). */
const planShape = {
  exact: bool.optional(),
  targetRecall: z.number({ error: "must be a recall target in (0, 1], such as 0.97" }).optional(),
  latencyBudgetMs: z.number({ error: "must be a latency budget in ms ≥ 0, such as 10" }).optional(),
};

/** {@link MaxSimIndexOptions}. */
export const indexOptionsSchema = optionsObject(
  { dim: intAtLeast(1, "128"), codec: codecSchema.optional(), meta: plainObjectSchema.optional(), ...indexTuningShape },
  { error: "must be an options object such as { dim: 128 }" },
);

/** {@link MaxSimIndexOpenOptions}. */
export const indexOpenOptionsSchema = optionsObject(
  { readOnly: bool.optional(), checkPayload: fn<(payload: unknown, id: string) => string | undefined>("(payload, id) => problem | undefined").optional() },
  "must be an options object such as { readOnly: true }",
);

/** An index directory path. */
export const dirSchema = z
  .string({ error: "must be a directory path (a non-empty string)" })
  .min(1, { error: "must be a directory path (a non-empty string)" });

/** {@link CollectionOptions}. */
export const collectionOptionsSchema = optionsObject(
  {
    model: modelSchema,
    modelOptions: colbertOptionsSchema.optional(),
    codec: codecSchema.optional(),
    indexOptions: z.object(indexTuningShape, { error: "must be an object such as { minTrainTokens: 32768 }" }).optional(),
    poolFactor: z.number({ error: "must be a pooling factor ≥ 1, such as 2" }).optional(),
  },
  { error: 'must be an options object such as { model: "<hub id or directory>" }' },
);

/** {@link OpenCollectionOptions}. */
export const openCollectionOptionsSchema = optionsObject(
  { model: modelSchema.optional(), modelOptions: colbertOptionsSchema.optional(), readOnly: bool.optional() },
  { error: "must be an options object such as { readOnly: true }, or omitted" },
);

/** One {@link DocumentInput} (id and metadata contents are checked when the documents are prepared). */
export const documentInputSchema = z.object(
  {
    id: z.unknown().optional(),
    text: z.string({ error: "must be the document's text (a string)" }),
    metadata: plainObjectSchema.optional(),
  },
  { error: "must be a document { id?, text, metadata? }" },
);

/** The documents of `addDocuments` / `upsertDocuments`: an array (not a Set, string or single object). */
export const documentsSchema = z.array(documentInputSchema, { error: "must be an array of documents [{ id?, text, metadata? }]" });

/** {@link AddOptions}. */
export const addOptionsSchema = optionsObject(
  {
    onProgress: fn<(done: number, total: number) => void>("(done, total) => void").optional(),
    onBatch: fn<(batch: { ids: string[]; tokens: number }) => void>("({ ids, tokens }) => void").optional(),
    signal: abortSignalSchema.optional(),
    batchSize: intAtLeast(1, "64").optional(),
  },
  { error: "must be an options object such as { batchSize: 64 }, or omitted" },
);

/** An array of document ids (a string is not iterated as ids). */
export const idsSchema = z.array(z.string({ error: "must be a string id" }), { error: 'must be an array of string ids such as ["a", "b"]' });

/** A query text. */
export const queryTextSchema = z.string({ error: "must be the query text (a string)" });

/** Several query texts. */
export const queryTextsSchema = z.array(queryTextSchema, { error: 'must be an array of query strings such as ["cat", "dog"]' });

/** A metadata filter's outer shape (its operators are checked by `compileFilter`). */
export const filterSchema = z.custom<object>((v) => typeof v === "function" || plainObjectSchema.safeParse(v).success, {
  error: 'must be a metadata filter object such as { lang: "fr" } or a function (metadata, id) => boolean',
});

/** {@link QueryOptions}. */
export const queryOptionsSchema = optionsObject(
  { k: intAtLeast(0, "10").optional(), filter: filterSchema.optional(), ...planShape, signal: abortSignalSchema.optional() },
  { error: "must be an options object such as { k: 10 }, or omitted" },
);

/** {@link IdFilter}: a predicate over ids or a Set-like object with `has`. */
export const idFilterSchema = z.custom<((id: string) => boolean) | ReadonlySet<string>>(
  (v) => typeof v === "function" || (typeof v === "object" && v !== null && typeof (v as Set<string>).has === "function"),
  { error: "must be a Set of ids or a function (id) => boolean" },
);

const exactSearchShape = { k: intAtLeast(1, "10"), filter: idFilterSchema.optional(), signal: abortSignalSchema.optional() };

/** {@link ExactSearchOptions}. */
export const exactSearchOptionsSchema = optionsObject(exactSearchShape, "must be an options object such as { k: 10 }");

/** {@link SearchOptions}. */
export const searchOptionsSchema = optionsObject(
  {
    ...exactSearchShape,
    ...planShape,
    nprobe: intAtLeast(1, "8").optional(),
    candidates: intAtLeast(1, "512").optional(),
    rescore: intAtLeast(1, "128").optional(),
    exactBelow: intAtLeast(0, "2000").optional(),
  },
  "must be an options object such as { k: 10 }",
);

/** Token vectors `{ data: Float32Array, length, dim }` (values are checked by `checkVectors`). */
export const tokenVectorsSchema = z.object(
  {
    data: z.custom<Float32Array>((v) => v instanceof Float32Array, { error: "must be a Float32Array" }),
    length: intAtLeast(1, "32"),
    dim: intAtLeast(1, "128"),
  },
  { error: "must be token vectors { data: Float32Array, length, dim }" },
);

/** {@link EncodeOptions}. */
export const encodeOptionsSchema = optionsObject(
  {
    batchSize: intAtLeast(1, "32").optional(),
    onProgress: fn<(done: number, total: number) => void>("(done, total) => void").optional(),
    signal: abortSignalSchema.optional(),
  },
  { error: "must be an options object such as { batchSize: 32 }, or omitted" },
);

/** Texts to encode. */
export const textsSchema = z.array(z.string({ error: "must be a string" }), { error: 'must be an array of strings such as ["a text"]' });
