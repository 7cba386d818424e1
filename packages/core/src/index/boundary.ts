/**
 * The checks of `MaxSimIndex`'s boundaries, kept out of the index module: arguments of its public
 * calls (zod schemas of `validation/`), and the *meaning* of what a load reads after the storage
 * layer verified its checksums. A checksum proves the bytes are the ones written, not that they
 * are sane: a file rewritten with a valid CRC (or written by a buggy tool) could hold NaN vectors,
 * NaN centroids, an id twice, or a state whose codec disagrees with the manifest, and the index
 * would answer differently with no error. Each violation here is an {@link IndexCorruptError}
 * naming the file and the problem.
 *
 * The value checks run over the typed arrays as loaded (one pass of integer bit tests per column,
 * no decoding): float32 exponent bits all ones = NaN/±Inf, float16 the same on its 5-bit exponent.
 */
import { z } from "zod";
import { IndexCorruptError } from "../errors.js";
import type { ColumnArray } from "../storage/segment.js";
import { copyJsonValue } from "../validation/json-value.js";
import { validate } from "../validation/parse.js";
import {
  codecSchema,
  dirSchema,
  exactSearchOptionsSchema,
  idsSchema,
  indexOpenOptionsSchema,
  indexOptionsSchema,
  intAtLeast,
  plainObjectSchema,
  searchOptionsSchema,
  tokenVectorsSchema,
} from "../validation/schemas.js";
import type { IndexCodec } from "./types.js";

/** Owner metadata can be as large as a manifest reasonably holds. */
const MAX_OWNER_META_BYTES = 16 * 1024 * 1024;

/** Validates `MaxSimIndex.create` / `inMemory` arguments. */
export function indexOptions(where: string, dir: string | null, options: unknown): void {
  if (dir !== null) validate(dirSchema, dir, { where, name: "dir", code: "INVALID_INPUT", fix: "Pass the directory of the new index." });
  validate(indexOptionsSchema, options, {
    where,
    name: "options",
    code: "INVALID_OPTION",
    fix: 'Pass { dim, codec?: "float32" | "float16" | "residual-2" | "residual-4", … }.',
  });
}

/** Validates `MaxSimIndex.open` arguments. */
export function indexOpenOptions(where: string, dir: unknown, options: unknown): void {
  validate(dirSchema, dir, { where, name: "dir", code: "INVALID_INPUT", fix: "Pass the index directory." });
  validate(indexOpenOptionsSchema, options, {
    where,
    name: "options",
    code: "INVALID_OPTION",
    fix: "Pass { readOnly?: boolean } or omit it.",
  });
}

/** Validates and copies the owner metadata of `setMeta` (a plain JSON object). */
export function checkOwnerMeta(where: string, meta: unknown): Record<string, unknown> {
  validate(plainObjectSchema, meta, {
    where,
    name: "meta",
    code: "INVALID_INPUT",
    fix: "Pass a plain object of JSON values (the whole owner metadata, e.g. { owner: 'me' }).",
  });
  return copyJsonValue(meta, { where, name: "meta", maxBytes: MAX_OWNER_META_BYTES }) as Record<string, unknown>;
}

/** Validates search options (`k`, `filter` a Set or predicate, tuning integers). */
export function searchOptions(where: string, options: object): void {
  const tuned =
    typeof options === "object" &&
    options !== null &&
    ["nprobe", "candidates", "rescore", "exactBelow", "exact", "targetRecall", "latencyBudgetMs"].some((key) => key in options);
  validate(tuned ? searchOptionsSchema : exactSearchOptionsSchema, options, {
    where,
    name: "options",
    code: "INVALID_OPTION",
    fix: 'Pass { k: 10, filter?: new Set(["id"]) | ((id) => boolean) }.',
  });
}

const itemsSchema = z.array(z.object({ id: z.unknown(), embeddings: tokenVectorsSchema }, { error: "must be an item { id, embeddings, payload? }" }), {
  error: "must be an array of { id, embeddings, payload? } items",
});

/** Largest payload of one document as JSON (its text and metadata, for a Collection). */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/**
 * Validates the items of `add` / `upsert` (ids and vector values are checked next, by the index)
 * and returns JSON copies of their payloads (`undefined` where none): what is stored, so the live
 * index and a reopened one hold the same payloads.
 */
export function checkWriteArgs(where: string, items: unknown): unknown[] {
  validate(itemsSchema, items, { where, name: "items", code: "INVALID_INPUT", fix: 'Pass [{ id: "a", embeddings: { data: Float32Array, length, dim } }].' });
  return (items as { payload?: unknown }[]).map((item, i) =>
    item.payload === undefined ? undefined : copyJsonValue(item.payload, { where, name: `items[${i}].payload`, maxBytes: MAX_PAYLOAD_BYTES, maxDepth: 64 }),
  );
}

/** Validates an id list (a string is not iterated as ids). */
export function idList(where: string, ids: unknown): void {
  validate(idsSchema, ids, { where, name: "ids", code: "INVALID_INPUT", fix: 'Pass an array such as ["a", "b"].' });
}

/** Validates a list of queries. */
export function queryList(where: string, queries: unknown): void {
  validate(z.array(tokenVectorsSchema, { error: "must be an array of token vectors" }), queries, {
    where,
    name: "queries",
    code: "INVALID_INPUT",
    fix: "Pass [{ data: Float32Array, length, dim }, …].",
  });
}

/** The index state stored in the manifest, as a load may trust it. */
const stateSchema = z.object({
  format: z.literal(1),
  codec: codecSchema,
  minTrainTokens: intAtLeast(0, "32768"),
  centroids: intAtLeast(1, "256").nullable(),
  seed: z.number().int(),
  trained: z.boolean(),
  trainedTokens: intAtLeast(0, "0"),
  trainError: z.number(),
  postTokens: intAtLeast(0, "0"),
  postErrorSum: z.number(),
  autoRetrain: z.boolean().optional(),
  diskTier: z.literal("float16").optional(),
  nextTier: intAtLeast(0, "0").optional(),
});

/** The index state agrees with the manifest it came from (and is well formed). */
export function checkState(file: string, manifestCodec: string, state: unknown): void {
  const parsed = stateSchema.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IndexCorruptError(file, `its index state field ${issue.path.join(".") || "(root)"} is invalid (${issue.message})`);
  }
  if (parsed.data.codec !== manifestCodec) {
    throw new IndexCorruptError(file, `its index state says codec ${parsed.data.codec} but the manifest says ${manifestCodec}`);
  }
}

/** Index of the first float32 NaN/±Inf in `v`, or -1 (bit test on the exponent). */
function firstNonFinite32(v: Float32Array): number {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  for (let i = 0; i < u.length; i++) if ((u[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/** Index of the first float16 NaN/±Inf in the bits `v`, or -1 (two halves per 32-bit word when aligned). */
function firstNonFinite16(v: Uint16Array): number {
  let from = 0;
  if (v.byteOffset % 4 === 0) {
    const u = new Int32Array(v.buffer, v.byteOffset, v.length >> 1);
    for (let i = 0; i < u.length; i++) {
      const x = u[i]!;
      if ((x & 0x7c00) === 0x7c00 || (x & 0x7c000000) === 0x7c000000) {
        from = 2 * i;
        break;
      }
      from = 2 * (i + 1);
    }
  }
  for (let i = from; i < v.length; i++) if ((v[i]! & 0x7c00) === 0x7c00) return i;
  return -1;
}

/**
 * The centroids are finite.
 *
 * @throws {@link IndexCorruptError} naming `file`
 */
export function checkCentroids(centroids: Float32Array, dim: number, file: string): void {
  const bad = firstNonFinite32(centroids);
  if (bad >= 0) throw new IndexCorruptError(file, `centroid ${Math.floor(bad / dim)} holds a non-finite value`);
}

/**
 * A segment's vector columns have the form the index codec stores and hold finite values.
 *
 * @throws {@link IndexCorruptError} naming `file`
 */
export function checkSegmentValues(
  file: string,
  columns: Readonly<Record<string, ColumnArray>>,
  tokens: number,
  dim: number,
  codec: IndexCodec,
  trained: boolean,
): void {
  const vectors = columns["vectors"];
  const residual = codec === "residual-2" || codec === "residual-4";
  if (vectors === undefined) {
    if (residual && trained && columns["residuals"] instanceof Uint8Array) return;
    throw new IndexCorruptError(file, `it holds no vectors column for codec ${codec}`);
  }
  // float32 indexes store float32; float16 ones float16; residual ones float16 until trained
  // (float32 in indexes written before 2026-11, converted on load).
  const expected = codec === "float32" ? [Float32Array] : codec === "float16" ? [Uint16Array] : [Uint16Array, Float32Array];
  if (!expected.some((t) => vectors instanceof t)) {
    throw new IndexCorruptError(file, `its vectors column is ${vectors.constructor.name}, not what codec ${codec} stores`);
  }
  if (vectors.length !== tokens * dim)
    throw new IndexCorruptError(file, `its vectors column holds ${vectors.length} values, not ${tokens} tokens of dim ${dim}`);
  const bad = vectors instanceof Float32Array ? firstNonFinite32(vectors) : firstNonFinite16(vectors as Uint16Array);
  if (bad >= 0) throw new IndexCorruptError(file, `token ${Math.floor(bad / dim)} of its vectors holds a non-finite value (NaN or infinity)`);
}

/**
 * A live id appears once across the live segments, and its payload passes the owner's check.
 *
 * @throws {@link IndexCorruptError} naming `file`
 */
export function checkUniqueId(
  file: string,
  id: string,
  seen: boolean,
  payload: unknown,
  checkPayload: ((payload: unknown, id: string) => string | undefined) | undefined,
): void {
  if (seen) throw new IndexCorruptError(file, `document id ${JSON.stringify(id)} is live in two segments`);
  const problem = checkPayload?.(payload, id);
  if (problem !== undefined) throw new IndexCorruptError(file, `the payload of document ${JSON.stringify(id)} is invalid: ${problem}`);
}
