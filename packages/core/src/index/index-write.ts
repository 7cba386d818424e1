/**
 * Writes of a `MaxSimIndex`: validation of items, add/upsert (one commit; new tokens go to their
 * nearest centroids once trained) and delete (tombstones). Training after a write is the caller's
 * (`index-train.ts`); everything here runs inside the gate's exclusive section.
 */
import { MaxsimError } from "../errors.js";
import { checkVectors } from "../scoring/flat-tokens.js";
import { metaWith, type IndexContext } from "./index-context.js";
import { narrowCodes, type IndexItem } from "./index-state.js";
import { toFloat16 } from "../storage/codecs/float16.js";
import { encodeDiskTier } from "../storage/disk-tier.js";
import { tierBlobName } from "./disk-tier-rows.js";
import { assignNearest } from "./kmeans.js";
import { checkWriteArgs, idList } from "./boundary.js";
import { describeValue } from "../validation/describe.js";

/** `INVALID_INPUT`, `INVALID_ID`, `DUPLICATE_ID`, `DIM_MISMATCH`, `INVALID_VECTOR` for a bad batch. */
export function validateItems(ctx: IndexContext, items: readonly IndexItem[], upsert: boolean): unknown[] {
  const payloads = checkWriteArgs(upsert ? "MaxSimIndex.upsert" : "MaxSimIndex.add", items);
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item?.id !== "string" || item.id.length === 0) {
      throw new MaxsimError("INVALID_ID", `Document id ${describeValue(item?.id)} is not a non-empty string. Give every document a string id.`);
    }
    if (seen.has(item.id)) {
      throw new MaxsimError("DUPLICATE_ID", `Id ${JSON.stringify(item.id)} appears twice in one batch. Give each document one entry.`);
    }
    seen.add(item.id);
    if (!upsert && ctx.table.idToSlot.has(item.id)) {
      throw new MaxsimError("DUPLICATE_ID", `A document with id ${JSON.stringify(item.id)} is already stored. Use upsert() to replace it, or delete it first.`);
    }
    checkVectors(item.embeddings, `Document ${JSON.stringify(item.id)}`, ctx.table.dim);
  }
  return payloads;
}

/** Adds (or, with `upsert`, replaces) documents in one commit, then registers them in memory. */
export async function writeItems(ctx: IndexContext, items: readonly IndexItem[], upsert: boolean): Promise<void> {
  const copies = validateItems(ctx, items, upsert);
  if (items.length === 0) return;
  const table = ctx.table;
  const dim = table.dim;
  let total = 0;
  for (const item of items) total += item.embeddings.length;
  const vectors = new Float32Array(total * dim);
  const offsets = new Int32Array(items.length + 1);
  items.forEach((item, i) => {
    vectors.set(item.embeddings.data.subarray(0, item.embeddings.length * dim), offsets[i]! * dim);
    offsets[i + 1] = offsets[i]! + item.embeddings.length;
  });
  const payloads = copies.some((p) => p !== undefined) ? copies.map((p) => p ?? null) : undefined;
  let codes: Int32Array | null = null;
  const state = { ...ctx.state };
  if (table.centroidIndex !== null) {
    const assigned = await assignNearest(vectors, dim, table.centroidIndex.centroids);
    codes = assigned.codes;
    for (const s of assigned.sims) state.postErrorSum += 1 - s;
    state.postTokens += total;
  }
  const replaced = upsert ? items.map((i) => i.id).filter((id) => table.idToSlot.has(id)) : [];
  // Encode into the arena past the registered rows (searches do not see them yet); the segment
  // is a copy of those bytes. A failed commit drops them again.
  const base = table.tokens;
  table.arena.append(vectors, codes);
  // Two tiers: the float16 rows go to a new tier blob in the same commit; the segment records
  // each document's tier blob and first row.
  const tierNo = table.tier !== null ? (state.nextTier ?? 0) : -1;
  const tierColumns: Record<string, Int32Array> = {};
  const blobs: Record<string, Uint8Array> = {};
  if (table.tier !== null) {
    state.nextTier = tierNo + 1;
    const bits = toFloat16(vectors);
    blobs[tierBlobName(tierNo)] = encodeDiskTier(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), 2 * dim);
    tierColumns["tierFile"] = new Int32Array(items.length).fill(tierNo);
    tierColumns["tierRow"] = offsets.slice(0, items.length);
  }
  try {
    const columns = {
      ...table.arena.columns(base, base + total),
      ...(codes !== null ? { codes: narrowCodes(codes, table.centroidIndex!.k) } : {}),
      ...tierColumns,
    };
    await ctx.store.commit({
      addSegments: [{ ids: items.map((i) => i.id), columns: { ...columns, offsets }, payloads, meta: { tokens: total } }],
      ...(replaced.length > 0 ? { deleteIds: replaced } : {}),
      ...(table.tier !== null ? { blobs } : {}),
      meta: metaWith(ctx, state),
    });
  } catch (error) {
    table.arena.truncate(base);
    throw error;
  }
  // After pinned reads (`MaxSimIndex.pin`): a read never sees documents replaced halfway.
  await ctx.gate.quiesce(() => {
    ctx.state = state;
    for (const id of replaced) table.kill(id);
    items.forEach((item, i) => {
      table.register(item.id, offsets[i + 1]! - offsets[i]!, codes?.subarray(offsets[i]!, offsets[i + 1]!) ?? null, payloads?.[i], true);
      table.tier?.set(table.slots - 1, tierNo, offsets[i]!);
    });
  });
}

/** Deletes the stored ones of `ids` in one commit; returns how many. */
export async function deleteIds(ctx: IndexContext, ids: readonly string[]): Promise<number> {
  idList("MaxSimIndex.delete", ids);
  const known = [...new Set(ids)].filter((id) => ctx.table.idToSlot.has(id));
  if (known.length === 0) return 0;
  await ctx.store.commit({ deleteIds: known, meta: metaWith(ctx, ctx.state) });
  // After pinned reads (`MaxSimIndex.pin`): a read never sees a document vanish halfway.
  await ctx.gate.quiesce(() => {
    for (const id of known) ctx.table.kill(id);
  });
  return known.length;
}
