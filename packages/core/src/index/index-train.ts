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
import { tierBlobName } from "./disk-tier-rows.js";
import { assignNearest, trainKMeans } from "./kmeans.js";
import { CentroidIndex, centroidIdArray, type CentroidIds } from "./plaid.js";
import { encodeResidualState, fitResidualQuantizer } from "./residual-codec.js";
import { eachTierBlock, tierSample } from "./tier-source.js";

const SEGMENT_TOKENS = 1 << 18; // tokens per segment when rewriting (≈ 128 MB of float32 at dim 128)

/**
 * The calibration is measured again once the index holds this many times the documents it was
 * measured on: the settings that reach a recall at N documents reach less at 2N (a fixed number
 * of candidates is a smaller share), and an index trained on a sample (two tiers, `autoRetrain:
 * false`) would otherwise keep the settings of its first few thousand documents forever. The
 * measurements grow geometrically, so their total is within 2× of the last one.
 */
export const RECALIBRATE_GROWTH = 2;

/**
 * Trains (big enough, untrained) or retrains (doubling rule, with `autoRetrain`) when due, else
 * recalibrates when the index has grown {@link RECALIBRATE_GROWTH}× since its calibration.
 */
export async function trainIfDue(ctx: IndexContext): Promise<void> {
  const st = ctx.state;
  if (ctx.table.centroidIndex === null) {
    if (ctx.table.liveTokens >= st.minTrainTokens) await rewrite(ctx, true);
  } else if (st.autoRetrain !== false && st.trainedTokens > 0 && st.postTokens >= st.trainedTokens) {
    // Doubling rule: each retraining on T tokens follows ≥ T added ones, so the total
    // retraining work is O(tokens ever added). A crash between the two commits leaves the
    // added documents committed under the old centroids (a consistent state).
    await rewrite(ctx, true);
  } else if (st.calibration != null && ctx.table.liveCount >= RECALIBRATE_GROWTH * st.calibration.documents) {
    const calibration = await calibrate(ctx.table, { targetRecall: st.targetRecall ?? DEFAULT_TARGET_RECALL });
    const state = { ...ctx.state, calibration };
    await ctx.store.commit({ meta: metaWith(ctx, state) });
    ctx.state = state;
  }
}

/** `compact()`: rewrite, retraining on drift (≥ 50% new tokens, or their error 20% above training) or when big and untrained. */
export async function compactIndex(ctx: IndexContext): Promise<void> {
  const st = ctx.state;
  const drift = st.trained && (st.postTokens >= 0.5 * st.trainedTokens || (st.postTokens > 0 && st.postErrorSum / st.postTokens > 1.2 * st.trainError));
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
    // Two tiers: train, assign and re-encode from the float16 rows on disk (never from quantised
    // codes), a block at a time; else from the arena.
    const tiered = table.tier !== null;
    const eachBlock = (fn: (rows: Float32Array, lo: number, hi: number) => Promise<void> | void) =>
      tiered ? eachTierBlock(table, fn) : table.eachDecodedBlock(table.arena, fn);
    const sample = tiered ? await tierSample(table, Math.max(16384, 16 * k), state.seed) : null;
    const centroids = await trainKMeans(sample ?? table.arena, dim, { k, seed: state.seed });
    // Assign block by block: only one decoded block exists at a time, whatever the codec.
    const ids = centroidIdArray(centroids.length / dim, table.tokens);
    codes = ids;
    let err = 0;
    await eachBlock(async (rows, lo) => {
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
      let fitRows: Float32Array;
      let fitCodes: Int32Array;
      if (sample !== null) {
        // Every stride-th sampled token (8192 tokens ≈ 1M values is plenty for quantiles).
        const n = sample.length / dim;
        const stride = Math.max(1, Math.floor(n / 8192));
        fitRows = new Float32Array(Math.ceil(n / stride) * dim);
        for (let i = 0, o = 0; i < n; i += stride, o++) fitRows.set(sample.subarray(i * dim, (i + 1) * dim), o * dim);
        fitCodes = (await assignNearest(fitRows, dim, centroids)).codes;
      } else {
        // Fit on a strided sample of tokens (8192 tokens ≈ 1M values is plenty for quantiles).
        const stride = Math.max(1, Math.floor(table.tokens / 8192));
        const rows: number[] = [];
        for (let t = 0; t < table.tokens; t += stride) rows.push(t);
        fitRows = new Float32Array(rows.length * dim);
        rows.forEach((t, i) => table.arena.copyRow(t, fitRows, i));
        fitCodes = Int32Array.from(rows, (t) => codes[t]!);
      }
      quantizer = fitResidualQuantizer(fitRows, fitCodes, centroids, dim, bits);
      blobs["residual.json"] = encodeResidualState(quantizer);
      // Re-encode every row against the new centroids (the old arena stays readable meanwhile).
      arena = table.newArena(centroidIndex, quantizer);
      await eachBlock((block, lo, hi) => arena.append(block, codes.subarray(lo, hi)));
    }
  }
  if (table.tier !== null) {
    // Tier blobs no live document points at any more are dropped (readers on older snapshots
    // keep them for `retainGenerations`, and an open one stays readable).
    const used = table.tier.referenced(table.slots);
    for (const name of Object.keys(ctx.store.manifest.blobs)) {
      const m = /^tier-(\d+)$/.exec(name);
      if (m !== null && !used.has(Number(m[1]))) blobs[tierBlobName(Number(m[1]))] = null;
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
    const tier = table.tier;
    const columns = {
      ...columnsOf(lo, hi),
      ...(k !== null ? { codes: narrowCodes(codes.subarray(lo, hi), k) } : {}),
      ...(tier !== null ? { tierFile: tier.file.slice(s, e), tierRow: tier.row.slice(s, e) } : {}),
    };
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
