/**
 * What a collection keeps per document and how it looks documents up: the payload (text and
 * metadata) stored with each document's vectors, the id-list check, and the metadata scan that
 * turns a compiled filter into ids. Shared by the read and write paths of {@link Collection}.
 */
import { MaxsimError } from "../errors.js";
import type { TokenPooling } from "../encoder/token-pooling.js";
import type { Encoder } from "../encoder/types.js";
import type { MaxSimIndex } from "../index/maxsim-index.js";
import type { IndexSnapshot } from "../index/types.js";
import type { TokenEmbeddings, TokenVectors } from "../types.js";
import { validate } from "../validation/parse.js";
import { idsSchema } from "../validation/schemas.js";
import type { FilterPredicate, Metadata } from "./filter.js";

/** The parts of an open collection its read and write paths work on. */
export interface CollectionCore {
  readonly index: MaxSimIndex;
  readonly encoder: Encoder;
  /** Document token pooling every add applies, `null` for none. */
  readonly pooling: Required<TokenPooling> | null;
}

/** A document's payload in the index: its text and metadata. */
export interface Payload {
  text: string;
  metadata: Metadata;
}

function isPayload(v: unknown): v is Payload {
  return typeof v === "object" && v !== null && typeof (v as Payload).text === "string";
}

/** The payload `p` read from the index, `undefined` when there is none. */
export function payloadOf(p: unknown): Payload | undefined {
  return isPayload(p) ? { text: p.text, metadata: p.metadata ?? {} } : undefined;
}

/** The `NOT_FOUND` error for an unknown document id. */
export function notFound(id: string): MaxsimError {
  return new MaxsimError("NOT_FOUND", `No document with id ${JSON.stringify(id)}. Check the id (ids are case-sensitive).`);
}

/** What a collection's payloads must be; a load refuses others (`IndexCorruptError`). */
export function payloadProblem(p: unknown): string | undefined {
  if (typeof p !== "object" || p === null || Array.isArray(p)) return "it is not an object { text, metadata }";
  const { text, metadata } = p as Partial<Payload>;
  if (typeof text !== "string") return "its text is not a string";
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) return "its metadata is not an object";
  return undefined;
}

/** The vectors of an encoding, without its token ids. */
export function vectors(e: TokenEmbeddings): TokenVectors {
  return { data: e.data, length: e.length, dim: e.dim };
}

/** `ids` checked as an array of ids (`INVALID_INPUT` otherwise). */
export function checkIds(where: string, ids: unknown): readonly string[] {
  return validate(idsSchema, ids, {
    where,
    name: "ids",
    code: "INVALID_INPUT",
    fix: 'Pass an array of ids such as ["a", "b"] (a single id goes in an array too).',
  });
}

/** Ids of `source`'s documents whose metadata pass `pass`, in id order. */
export function matchingIds(source: Pick<IndexSnapshot, "ids" | "getPayload">, pass: FilterPredicate): string[] {
  const out: string[] = [];
  for (const id of source.ids()) if (pass(payloadOf(source.getPayload(id))?.metadata ?? {}, id)) out.push(id);
  return out;
}
