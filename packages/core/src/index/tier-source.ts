/**
 * Reading a two-tier index's float16 disk tier as a source of training and re-encoding data:
 * consecutive blocks of the table's token rows (as `SlotTable.eachDecodedBlock` decodes the
 * arena), and a seeded sample of documents' rows for k-means and the quantiser fit. Used by
 * `index-train.ts` so that retraining never re-quantises already quantised codes.
 */
import type { SlotTable } from "./slot-table.js";
import { seededRandom } from "./synthetic.js";

const BLOCK_TOKENS = 1 << 16; // rows decoded at a time (32 MB of float32 at dim 128)

/** Calls `fn` on consecutive blocks of the table's rows `[0, tokens)` read from its disk tier (slots in order, no dead ones). */
export async function eachTierBlock(table: SlotTable, fn: (rows: Float32Array, lo: number, hi: number) => Promise<void> | void): Promise<void> {
  const tier = table.tier!;
  let s = 0;
  while (s < table.slots) {
    const first = s;
    const lo = table.offsets[s]!;
    while (s < table.slots && (s === first || table.offsets[s + 1]! - lo <= BLOCK_TOKENS)) s++;
    const slots = new Int32Array(s - first);
    for (let i = 0; i < slots.length; i++) slots[i] = first + i;
    const flat = await tier.gather(slots, table.offsets);
    await fn(flat.data, lo, table.offsets[s]!);
  }
}

/** About `tokens` float16 rows of randomly chosen documents (seeded), decoded. */
export async function tierSample(table: SlotTable, tokens: number, seed: number): Promise<Float32Array> {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: table.slots }, (_, i) => i);
  const picked: number[] = [];
  let total = 0;
  for (let i = 0; i < order.length && total < tokens; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
    const slot = order[i]!;
    if (table.alive[slot] !== 1) continue;
    picked.push(slot);
    total += table.offsets[slot + 1]! - table.offsets[slot]!;
  }
  picked.sort((a, b) => a - b);
  return (await table.tier!.gather(Int32Array.from(picked), table.offsets)).data;
}
