/**
 * Checks and copies the documents of one `addDocuments` / `upsertDocuments` call before any
 * encoding starts, so a call either commits all of its documents or, when one is invalid, none:
 * the array and each document's shape (zod schema), ids (`INVALID_ID`, `DUPLICATE_ID`), and the
 * metadata, which is copied as JSON (`copyJsonValue`: bounded depth and size, no BigInt, NaN,
 * Date, cycles…). The copy is what is stored, so the live collection and a reopened one hold the
 * same metadata, and later changes to the caller's objects change nothing.
 */
import { randomUUID } from "node:crypto";
import { MaxsimError } from "../errors.js";
import { copyJsonValue } from "../validation/json-value.js";
import { validate } from "../validation/parse.js";
import { addOptionsSchema, documentsSchema } from "../validation/schemas.js";
import type { Metadata } from "./filter.js";
import type { AddOptions, DocumentInput } from "./types.js";

/** A document ready to encode: its id, text and a private JSON copy of its metadata. */
export interface PreparedDocument {
  id: string;
  text: string;
  metadata: Metadata;
}

/**
 * Validates the arguments of a write call and returns the prepared documents.
 *
 * @param where - the public call, for messages (`"Collection.addDocuments"`)
 * @param exists - whether an id is already stored (refused unless `upsert`)
 * @throws MaxsimError `INVALID_INPUT` (not an array, a document without string text, metadata that
 *   is not bounded JSON), `INVALID_OPTION` (options), `INVALID_ID`, `DUPLICATE_ID`
 */
export function prepareDocuments(
  where: string,
  docs: unknown,
  options: unknown,
  upsert: boolean,
  exists: (id: string) => boolean,
): { docs: PreparedDocument[]; options: AddOptions } {
  const checked = validate(documentsSchema, docs, {
    where,
    name: "docs",
    code: "INVALID_INPUT",
    fix: 'Pass an array such as [{ id: "a", text: "Le chat dort.", metadata: { lang: "fr" } }].',
  }) as readonly DocumentInput[];
  const opts = validate(addOptionsSchema.optional(), options, {
    where,
    name: "options",
    code: "INVALID_OPTION",
    fix: "Pass { batchSize?, onProgress?, onBatch?, signal? } or omit it.",
  }) as AddOptions | undefined;
  const seen = new Set<string>();
  const out: PreparedDocument[] = new Array(checked.length);
  for (let i = 0; i < checked.length; i++) {
    const d = checked[i]!;
    const id = d.id ?? randomUUID();
    if (typeof id !== "string" || id.length === 0) {
      throw new MaxsimError("INVALID_ID", `${where}: docs[${i}].id is not a non-empty string. Use a non-empty string or omit it (a UUID is generated).`);
    }
    if (seen.has(id)) throw new MaxsimError("DUPLICATE_ID", `The id ${JSON.stringify(id)} appears twice in one call. Give every document its own id.`);
    seen.add(id);
    if (!upsert && exists(id)) {
      throw new MaxsimError("DUPLICATE_ID", `A document with id ${JSON.stringify(id)} already exists. Use upsertDocuments to replace it, or delete it first.`);
    }
    const metadata = copyJsonValue(d.metadata ?? {}, { where, name: `docs[${i}].metadata` }) as Metadata;
    out[i] = { id, text: d.text, metadata };
  }
  return { docs: out, options: opts ?? {} };
}
