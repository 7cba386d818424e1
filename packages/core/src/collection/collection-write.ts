/**
 * The write path of a collection: encoding documents in batches, pooling their tokens, committing
 * each batch (add or upsert) with its payload, reporting progress, and deleting by id or filter.
 */
import { MaxsimError, throwIfAborted } from "../errors.js";
import { poolTokens } from "../encoder/token-pooling.js";
import { type CollectionCore, checkIds, type Payload, vectors } from "./collection-documents.js";
import type { Filter } from "./filter.js";
import { prepareDocuments, type PreparedDocument } from "./prepare.js";
import type { AddOptions, DocumentInput } from "./types.js";

/** Adds (or with `upsert`, upserts) `docs` in batches inside one bulk load; the ids in input order. */
export async function writeDocuments(
  core: CollectionCore,
  docs: readonly DocumentInput[],
  rawOptions: AddOptions | undefined,
  upsert: boolean,
): Promise<string[]> {
  const where = upsert ? "Collection.upsertDocuments" : "Collection.addDocuments";
  const { docs: prepared, options } = prepareDocuments(where, docs, rawOptions, upsert, (id) => core.index.has(id));
  throwIfAborted(options.signal);
  const batchSize = options.batchSize ?? 64;
  // One bulk load per call: centroid training waits for the last batch (see MaxSimIndex.bulk).
  return core.index.bulk(() => writeBatches(core, prepared, batchSize, options, upsert));
}

async function writeBatches(core: CollectionCore, prepared: PreparedDocument[], batchSize: number, options: AddOptions, upsert: boolean): Promise<string[]> {
  let done = 0;
  for (let start = 0; start < prepared.length; start += batchSize) {
    throwIfAborted(options.signal);
    const batch = prepared.slice(start, start + batchSize);
    const encoded = await core.encoder.encodeDocuments(
      batch.map((d) => d.text),
      { signal: options.signal },
    );
    // Pooled here rather than by the encoder, so any Encoder implementation pools alike.
    const pooling = core.pooling;
    const embeddings = pooling === null ? encoded : encoded.map((e) => poolTokens(e, pooling.poolFactor, pooling.protectedTokens));
    throwIfAborted(options.signal);
    const items = batch.map((d, i) => ({ id: d.id, embeddings: vectors(embeddings[i]!), payload: { text: d.text, metadata: d.metadata } satisfies Payload }));
    if (upsert) await core.index.upsert(items);
    else await core.index.add(items);
    done += batch.length;
    let tokens = 0;
    for (const e of embeddings) tokens += e.length;
    options.onBatch?.({ ids: batch.map((d) => d.id), tokens });
    options.onProgress?.(done, prepared.length);
  }
  return prepared.map((d) => d.id);
}

/** Deletes the documents `ids` (unknown ids ignored); how many were deleted. */
export async function deleteDocuments(core: CollectionCore, ids: readonly string[]): Promise<number> {
  checkIds("Collection.deleteDocuments", ids);
  return core.index.delete([...ids]);
}

/** Refuses the empty declarative filter `{}` of a `deleteWhere`, which would delete every document. */
export function refuseDeleteAll(filter: Filter): void {
  if (typeof filter !== "function" && typeof filter === "object" && filter !== null && Object.values(filter).every((v) => v === undefined)) {
    throw new MaxsimError(
      "INVALID_FILTER",
      "deleteWhere({}) would delete every document. Pass a filter that names a field, or delete all explicitly with deleteDocuments([...collection.ids()]).",
    );
  }
}
