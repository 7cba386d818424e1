/** What the index's write, training and persistence modules share: the store, the gate, the state and the slot table. */
import type { IndexStore } from "../storage/index-store.js";
import { STATE_KEY, type IndexState } from "./index-state.js";
import type { ReadWriteGate } from "./read-write-gate.js";
import type { SlotTable } from "./slot-table.js";

/** The mutable core of a `MaxSimIndex` (the facade owns one). */
export interface IndexContext {
  readonly store: IndexStore;
  readonly gate: ReadWriteGate;
  state: IndexState;
  table: SlotTable;
}

/** Owner metadata of a manifest meta: everything but the index's own state. */
export function ownerMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const { [STATE_KEY]: _state, ...rest } = meta;
  return rest;
}

/** The manifest meta a writer commits: the owner's keys as stored, plus `state`. */
export function metaWith(ctx: IndexContext, state: IndexState): Record<string, unknown> {
  return { ...ownerMeta(ctx.store.manifest.meta), [STATE_KEY]: state };
}
