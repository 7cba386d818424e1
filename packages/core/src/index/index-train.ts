/**
 * Training of a `MaxSimIndex`: when to (re)train (the size threshold, the doubling rule, drift at
 * `compact()`), and the rewrite that compacts memory, trains k-means centroids (+ the residual
 * quantiser), re-encodes rows block by block and commits every segment anew.
 */
import type { ColumnArray } from "../storage/segment.js";
import type { NewSegment } from "../storage/store-types.js";
import { calibrate } from "./calibration.js";
import { metaWith, type IndexContext } from "./index-context.js";
import { DEFAULT_TARGET_RECALL } from "./planner.js";
import { defaultCentroids, narrowCodes, residualBits } from "./index-state.js";
import { assignNearest, trainKMeans } from "./kmeans.js";
import { CentroidIndex, centroidIdArray, type CentroidIds } from "./plaid.js";
import { encodeResidualState, fitResidualQuantizer } from "./residual-codec.js";

const SEGMENT_TOKENS = 1 << 18; // tokens per segment when rewriting (≈ 128 MB of float32 at dim 128)

/** Trains (big enough, untrained) or retrains (doubling rule, with `autoRetrain`) when due. */
export async function trainIfDue(ctx: IndexContext): Promise<void> {
  const st = ctx.state;
  if (ctx.table.centroidIndex === null) {
    if (ctx.table.liveTokens >= st.minTrainTokens) await rewrite(ctx, true);
  } else if (st.autoRetrain !== false && st.trainedTokens > 0 && st.postTokens >= st.trainedTokens) {
    // Doubling rule: each retraining on T tokens follows ≥ T added ones, so the total
    // retraining work is O(tokens ever added). A crash between the two commits leaves the
    // added documents committed under the old centroids (a consistent state).
    await rewrite(ctx, true);
  }
}

/** `compact()`: rewrite, retraining on drift (≥ 50% new tokens, or their error 20% above training) or when big and untrained. */
export async function compactIndex(ctx: IndexContext): Promise<void> {
  const st = ctx.state;
  const drift =
    st.trained && (st.postTokens >= 0.5 * st.trainedTokens || (st.postTokens > 0 && st.postErrorSum / st.postTokens > 1.2 * st.trainError));
  const untrainedBig = !st.trained && ctx.table.liveTokens >= st.minTrainTokens;
  await rewrite(ctx, drift || untrainedBig);
}

/** Rewrites every segment from memory (compaction), training centroids first when `train`. */
export async function rewrite(ctx: IndexContext, train: boolean): Promise<void> {
  const table = ctx.table;
  await ctx.gate.quiesce(() => {
    table.compactMemory();
    table.rebuildLists(); // slots were renumbered: searches during the commit must see fresh lists
  });
  const dim = table.dim;
  const state = { ...ctx.state };
  let centroidIndex = table.centroidIndex;
  let quantizer = table.quantizer;
  let codes: CentroidIds = table.codes.subarray(0, table.tokens);
  let arena = table.arena;
  const blobs: Record<string, Uint8Array | null> = {};
  if (train && table.tokens > 0) {
    const k = Math.min(table.tokens, state.centroids ?? defaultCentroids(table.tokens));
    const centroids = await trainKMeans(table.arena, dim, { k, seed: state.seed });
    // Assign block by block: only one decoded block exists at a time, whatever the codec.
    const ids = centroidIdArray(centroids.length / dim, table.tokens);
    codes = ids;
    let err = 0;
    await table.eachDecodedBlock(table.arena, async (rows, lo) => {
      const assigned = await assignNearest(rows, dim, centroids);
      ids.set(assigned.codes, lo);
      for (const s of assigned.sims) err += 1 - s;
    });
    state.trained = true;
    state.trainedTokens = table.tokens;
    state.trainError = err / Math.max(1, table.tokens);
    state.postTokens = 0;
    state.postErrorSum = 0;
    centroidIndex = new CentroidIndex(centroids, dim);
    blobs["centroids.f32"] = new Uint8Array(centroids.buffer.slice(centroids.byteOffset, centroids.byteOffset + centroids.byteLength));
    const bits = residualBits(table.codec);
    if (bits !== null) {
      // Fit on a strided sample of tokens (8192 tokens ≈ 1M values is plenty for quantiles).
      const stride = Math.max(1, Math.floor(table.tokens / 8192));
      const rows: number[] = [];
      for (let t = 0; t < table.tokens; t += stride) rows.push(t);
      const sample = new Float32Array(rows.length * dim);
      rows.forEach((t, i) => table.arena.copyRow(t, sample, i));
      quantizer = fitResidualQuantizer(sample, Int32Array.from(rows, (t) => codes[t]!), centroids, dim, bits);
      blobs["residual.json"] = encodeResidualState(quantizer);
      // Re-encode every row against the new centroids (the old arena stays readable meanwhile).
      arena = table.newArena(centroidIndex, quantizer);
      await table.eachDecodedBlock(table.arena, (block, lo, hi) => arena.append(block, codes.subarray(lo, hi)));
    }
  }
  if (train && centroidIndex !== null && table.liveCount > 0) {
    // Calibrate the new training before it is committed, on a view (searches keep the old one).
    const view = table.trainedView(centroidIndex, quantizer, codes, arena);
    state.calibration = await calibrate(view, { targetRecall: state.targetRecall ?? DEFAULT_TARGET_RECALL });
  }
  await ctx.store.commit({
    addSegments: segmentsOf(ctx, arena.columns.bind(arena), codes, centroidIndex?.k ?? null),
    removeSegments: ctx.store.manifest.segments.map((x) => x.name),
    blobs,
    meta: metaWith(ctx, state),
  });
  ctx.state = state;
  if (train && centroidIndex !== null) {
    // Searches running on the old centroids, ids and rows finish first (an old residual row
    // decoded with a new centroid id would be garbage).
    const trained = centroidIndex;
    const q = quantizer;
    await ctx.gate.quiesce(() => table.adoptTraining(trained, q, codes, arena));
  }
  table.invalidate();
}

/** The table's slots cut into segments of at most {@link SEGMENT_TOKENS} tokens (one document may exceed it). */
function segmentsOf(ctx: IndexContext, columnsOf: (lo: number, hi: number) => Record<string, ColumnArray>, codes: CentroidIds, k: number | null): NewSegment[] {
  const table = ctx.table;
  const segments: NewSegment[] = [];
  let s = 0;
  while (s < table.slots) {
    let e = s + 1;
    while (e < table.slots && table.offsets[e + 1]! - table.offsets[s]! <= SEGMENT_TOKENS) e++;
    const lo = table.offsets[s]!;
    const hi = table.offsets[e]!;
    const offsets = new Int32Array(e - s + 1);
    for (let i = s; i <= e; i++) offsets[i - s] = table.offsets[i]! - lo;
    const columns = { ...columnsOf(lo, hi), ...(k !== null ? { codes: narrowCodes(codes.subarray(lo, hi), k) } : {}) };
    const payloads = table.payloads.slice(s, e);
    segments.push({
      ids: table.slotIds.slice(s, e),
      columns: { ...columns, offsets },
      payloads: payloads.some((p) => p !== undefined) ? payloads.map((p) => p ?? null) : undefined,
      meta: { tokens: hi - lo },
    });
    s = e;
  }
  return segments;
}
