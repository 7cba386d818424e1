/**
 * PLAID-style candidate generation (Santhanam et al., "PLAID: An Efficient Engine for Late
 * Interaction Retrieval", CIKM 2022). Each token carries the id of its nearest centroid; each
 * centroid keeps an inverted list of the documents holding one of its tokens. A query token's
 * nearest centroids come from the exact query-centroid product (the ONNX Runtime MatMul that
 * stage 3 needs anyway), or, when hnswlib-node's addon is installed and the centroid set is large
 * enough for a graph to pay ({@link HNSW_MIN_CENTROIDS}), from an HNSW graph over the centroids
 * (inner product). Exact probing finds the true nearest centroids, so its recall is at least
 * HNSW's. A
 * candidate's approximate score is PLAID's pruned "centroid interaction": for each query token,
 * the similarity of the best probed centroid the document holds (0 when it holds none), summed.
 * It is computed from the inverted lists alone — no per-document token scan — so it costs
 * Σ probed-list lengths. The best `candidates` then get PLAID's full centroid interaction
 * (`centroidInteraction`: every document token stands in for its centroid, one ORT product
 * Cᵀ·Q gives all query-centroid similarities), and the caller rescores the best of those exactly.
 */
import * as ort from "onnxruntime-node";
import { MaxsimError } from "../errors.js";
import { matmulModel } from "../scoring/kernel-model.js";
import type { TokenVectors } from "../types.js";
import { hnswStatus, type HnswGraph } from "./hnsw-addon.js";
import { InvertedLists } from "./inverted-lists.js";
import { type AlphaView, UNIT_ALPHA } from "./token-alpha.js";

/**
 * Centroid count from which an HNSW graph probes instead of the exact product: the cap on
 * centroids (65,536, the default from ≈ 16 M tokens), where the product costs most.
 * `bench/centroid-probe.ts` (dim 128, 32 query tokens, nprobe 8) measured HNSW faster from
 * 32,768 centroids, but its recall of the true nearest 8 fell to 0.59 at 65,536, and at 32,768
 * centroids (100k documents since the default is 16·√T) the calibration then found no setting
 * reaching 0.97 on the `concepts` corpus; exact probing costs ~2–4 ms there.
 */
export const HNSW_MIN_CENTROIDS = 65536;

/** How query tokens find their nearest centroids: `"auto"` picks per index size and install. */
export type CentroidProberChoice = "auto" | "exact" | "hnsw";

/** The prober an index uses: the exact ONNX Runtime product, or hnswlib-node's graph. */
export type CentroidProber = "exact" | "hnsw";

/**
 * The prober `choice` resolves to for `k` centroids. `"auto"` (the default, overridable with
 * `MAXSIM_CENTROID_PROBER=exact|hnsw|auto`) takes HNSW only when its addon loads and
 * `k ≥ HNSW_MIN_CENTROIDS`.
 *
 * @throws MaxsimError `INVALID_OPTION` for an unknown choice, `DEPENDENCY_MISSING` when `"hnsw"` is
 * asked for and hnswlib-node's addon does not load.
 * @example
 * ```ts
 * import { resolveCentroidProber } from "@maxsim/core";
 * console.log(resolveCentroidProber(256, "auto"), resolveCentroidProber(256, "exact")); // exact exact
 * ```
 */
export function resolveCentroidProber(k: number, choice: CentroidProberChoice = defaultProberChoice()): CentroidProber {
  if (choice === "exact") return "exact";
  if (choice === "hnsw") {
    const status = hnswStatus();
    if (!status.available) {
      throw new MaxsimError(
        "DEPENDENCY_MISSING",
        `HNSW centroid probing was asked for, but hnswlib-node's addon does not load (${status.reason}). ${HNSW_ENABLE_HINT} Or use the exact prober (MAXSIM_CENTROID_PROBER=auto or exact).`,
      );
    }
    return "hnsw";
  }
  if (choice !== "auto") {
    throw new MaxsimError("INVALID_OPTION", `Unknown centroid prober ${JSON.stringify(choice)}: use "auto", "exact" or "hnsw" (MAXSIM_CENTROID_PROBER).`);
  }
  return k >= HNSW_MIN_CENTROIDS && hnswStatus().available ? "hnsw" : "exact";
}

/** How to install hnswlib-node's addon, for messages. */
export const HNSW_ENABLE_HINT =
  "To enable it, install hnswlib-node with its build script allowed: with pnpm, run `pnpm approve-builds` and pick hnswlib-node (or list it in onlyBuiltDependencies), then `pnpm rebuild hnswlib-node`; with npm, `npm install hnswlib-node` (it compiles with node-gyp: needs python3, make, a C++ compiler and Node headers).";

function defaultProberChoice(): CentroidProberChoice {
  const env = process.env.MAXSIM_CENTROID_PROBER;
  return env === undefined || env === "" ? "auto" : (env as CentroidProberChoice);
}

/** Nearest-centroid ids of tokens: 2 bytes each up to 65,536 centroids, else 4. */
export type CentroidIds = Uint16Array | Int32Array;

/** An id array of `n` tokens for `k` centroids (see {@link CentroidIds}). */
export function centroidIdArray(k: number, n: number): CentroidIds {
  return k <= 65536 ? new Uint16Array(n) : new Int32Array(n);
}
let matmul: Promise<ort.InferenceSession> | null = null;

/** Centroids, their prober (exact product or HNSW graph) and inverted lists. */
export class CentroidIndex {
  readonly k: number;
  /** Which prober finds each query token's nearest centroids. */
  readonly prober: CentroidProber;
  private readonly hnsw: HnswGraph | null = null;
  private readonly lists: InvertedLists;
  /** Scratch: per slot, the last query token that touched it, and the running score. */
  private stamp = new Int32Array(0);
  private acc = new Float32Array(0);
  /** Scratch: the slots a query touched. */
  private touched = new Int32Array(0);

  constructor(
    readonly centroids: Float32Array,
    readonly dim: number,
    prober: CentroidProberChoice = defaultProberChoice(),
  ) {
    this.k = centroids.length / dim;
    this.prober = resolveCentroidProber(this.k, prober);
    const status = hnswStatus();
    if (this.prober === "hnsw" && status.available) {
      const hnsw = new status.module.HierarchicalNSW("ip", dim);
      // Few points: a dense graph and a wide construction beam cost little and keep probes exact.
      hnsw.initIndex({ maxElements: this.k, m: 32, efConstruction: 200, randomSeed: 100 });
      for (let c = 0; c < this.k; c++) hnsw.addPoint(Array.from(centroids.subarray(c * dim, (c + 1) * dim)), c);
      this.hnsw = hnsw;
    }
    this.lists = new InvertedLists(this.k);
  }

  /** Registers document `slot` whose tokens have centroid ids `codes` (deduplicated here). */
  addDocument(slot: number, codes: CentroidIds): void {
    this.lists.add(slot, codes);
  }

  /** Replaces every inverted list with those of slots `[0, count)` (token ids `codes[offsets[s]..offsets[s+1])`), at exact size. */
  buildLists(codes: CentroidIds, offsets: Int32Array, count: number): void {
    this.lists.build(codes, offsets, count);
  }

  /** Query-centroid similarities, transposed: row `c` holds centroid `c`'s dot with each query token. */
  async centroidSimilarities(query: TokenVectors): Promise<Float32Array> {
    matmul ??= ort.InferenceSession.create(matmulModel(), { interOpNumThreads: 1 });
    const s = await matmul;
    const res = await s.run({
      x: new ort.Tensor("float32", this.centroids, [this.k, this.dim]),
      w: new ort.Tensor("float32", query.data.subarray(0, query.length * this.dim), [query.length, this.dim]),
    });
    return res["y"]!.data as Float32Array;
  }

  /**
   * A document slot, other than `except`, that holds a token of centroid `c`, drawn with
   * `random` from its inverted list (the built part and the tail), or −1 when there is none.
   */
  otherHolder(c: number, except: number, random: () => number): number {
    const lists = this.lists;
    const built = lists.start[c + 1]! - lists.start[c]!;
    const n = built + (lists.tail[c] === undefined ? 0 : lists.tailLength[c]!);
    const at = (x: number) => (x < built ? lists.slots[lists.start[c]! + x]! : lists.tail[c]![x - built]!);
    if (n === 0) return -1;
    // A slot is listed once per centroid: when the draw is `except`, the next entry is another one.
    const x = Math.floor(random() * n);
    if (at(x) !== except) return at(x);
    if (n > 1) return at((x + 1) % n);
    return -1;
  }

  /** Mean inverted-list length (document slots per centroid): what one probe scans. */
  meanListLength(): number {
    return this.lists.entries / Math.max(1, this.k);
  }

  /** Drops every inverted list (before re-adding the live documents). */
  clearLists(): void {
    this.lists.clear();
  }

  /** HNSW-probed centroids of one query token: ids and similarities, best first. */
  probeHnsw(row: Float32Array, nprobe: number): { ids: number[]; sims: number[] } {
    if (this.hnsw === null) throw new Error("probeHnsw on an index whose prober is exact");
    const n = Math.min(nprobe, this.k);
    this.hnsw.setEf(Math.max(64, 4 * n)); // a wider beam: probe recall matters more than its cost
    const res = this.hnsw.searchKnn(Array.from(row), n);
    const order = res.neighbors.map((id, i) => ({ id, sim: 1 - res.distances[i]! })).sort((a, b) => b.sim - a.sim);
    return { ids: order.map((o) => o.id), sims: order.map((o) => o.sim) };
  }

  /**
   * Probed centroids of query token `i`: ids and similarities, best first. The exact prober reads
   * column `i` of `sims` ({@link centroidSimilarities}, `m` query tokens); HNSW searches its graph.
   */
  probe(query: TokenVectors, i: number, nprobe: number, sims: Float32Array | null): { ids: number[]; sims: number[] } {
    if (this.prober === "hnsw") return this.probeHnsw(query.data.subarray(i * this.dim, (i + 1) * this.dim), nprobe);
    if (sims === null) throw new Error("exact probing needs the query-centroid similarities");
    return topColumn(sims, this.k, query.length, i, Math.min(nprobe, this.k));
  }

  /**
   * The `candidates` best slots by pruned centroid interaction, among slots that `accept`.
   * `slots` is the number of document slots (an upper bound on slot numbers). `sims` is
   * {@link centroidSimilarities} of `query`, required by the exact prober (HNSW ignores it).
   * Best first (ties: lower slot first) when `ordered`; else in no particular order, for callers
   * that use them as a set (rescoring all of them, or ranking them again), which saves a sort.
   */
  candidates(
    query: TokenVectors,
    slots: number,
    nprobe: number,
    candidates: number,
    accept: (slot: number) => boolean,
    sims: Float32Array | null = null,
    ordered = true,
  ): Int32Array {
    if (this.stamp.length < slots) {
      this.stamp = new Int32Array(slots);
      this.acc = new Float32Array(slots);
      this.touched = new Int32Array(slots);
    }
    const stamp = this.stamp;
    const acc = this.acc;
    const touched = this.touched;
    let count = 0;
    // Exact probing reads every column of the [k, m] product in one pass (not m strided passes).
    const columns = this.prober === "exact" && sims !== null ? topColumns(sims, this.k, query.length, Math.min(nprobe, this.k)) : null;
    const lists = this.lists;
    for (let i = 0; i < query.length; i++) {
      const probed = columns?.[i] ?? this.probe(query, i, nprobe, sims);
      const mark = i + 1;
      for (let p = 0; p < probed.ids.length; p++) {
        const c = probed.ids[p]!;
        const s = probed.sims[p]!;
        const tail = lists.tail[c];
        // The built list, then the entries added since (one pass over each).
        for (let part = 0; part < 2; part++) {
          const items = part === 0 ? lists.slots : tail;
          if (items === undefined) break;
          const to = part === 0 ? lists.start[c + 1]! : lists.tailLength[c]!;
          for (let x = part === 0 ? lists.start[c]! : 0; x < to; x++) {
            const slot = items[x]!;
            const st = stamp[slot]!;
            if (st === mark) continue; // already credited with a better centroid for this token
            if (st === 0) {
              touched[count++] = slot;
              acc[slot] = 0;
            }
            stamp[slot] = mark;
            acc[slot]! += s;
          }
        }
      }
    }
    let kept = 0;
    for (let x = 0; x < count; x++) {
      const slot = touched[x]!;
      stamp[slot] = 0;
      if (accept(slot)) touched[kept++] = slot;
    }
    // Keep the best `candidates` without sorting everything (tens of thousands touched at 50k docs).
    let chosen = touched.slice(0, kept);
    if (kept > candidates) {
      const values = Float32Array.from(chosen, (s) => acc[s]!);
      const threshold = nthLargest(values, candidates);
      const best = new Int32Array(candidates);
      let n = 0;
      for (let x = 0; x < kept && n < candidates; x++) if (acc[chosen[x]!]! > threshold) best[n++] = chosen[x]!;
      for (let x = 0; x < kept && n < candidates; x++) if (acc[chosen[x]!] === threshold) best[n++] = chosen[x]!;
      chosen = best.subarray(0, n);
    }
    if (ordered) chosen.sort((a, b) => acc[b]! - acc[a]! || a - b);
    return chosen;
  }
}

/**
 * The `n` largest entries of column `i` of a row-major `[k, m]` matrix, best first (ties: lower
 * id first). An insertion buffer of `n` entries: `n` is nprobe (a handful), `k` up to 65,536.
 */
export function topColumn(sims: Float32Array, k: number, m: number, i: number, n: number): { ids: number[]; sims: number[] } {
  const ids = new Int32Array(n);
  const vals = new Float32Array(n).fill(-Infinity);
  let filled = 0;
  for (let c = 0; c < k; c++) {
    const v = sims[c * m + i]!;
    if (filled === n && v <= vals[n - 1]!) continue;
    let j = filled < n ? filled++ : n - 1;
    while (j > 0 && vals[j - 1]! < v) {
      vals[j] = vals[j - 1]!;
      ids[j] = ids[j - 1]!;
      j--;
    }
    vals[j] = v;
    ids[j] = c;
  }
  return { ids: Array.from(ids.subarray(0, filled)), sims: Array.from(vals.subarray(0, filled)) };
}

/**
 * {@link topColumn} of every column `0..m−1` at once, in one pass over the rows: per column an
 * insertion buffer of `n`, and a row whose value is below a column's current n-th best is one
 * comparison.
 */
export function topColumns(sims: Float32Array, k: number, m: number, n: number): { ids: number[]; sims: number[] }[] {
  const ids = new Int32Array(m * n);
  const vals = new Float32Array(m * n).fill(-Infinity);
  const filled = new Int32Array(m);
  const floor = new Float32Array(m).fill(-Infinity); // the column's n-th best once full
  for (let c = 0; c < k; c++) {
    const row = c * m;
    for (let i = 0; i < m; i++) {
      const v = sims[row + i]!;
      if (v <= floor[i]!) continue;
      const base = i * n;
      let j = filled[i]! < n ? base + filled[i]!++ : base + n - 1;
      while (j > base && vals[j - 1]! < v) {
        vals[j] = vals[j - 1]!;
        ids[j] = ids[j - 1]!;
        j--;
      }
      vals[j] = v;
      ids[j] = c;
      if (filled[i] === n) floor[i] = vals[base + n - 1]!;
    }
  }
  return Array.from({ length: m }, (_, i) => ({
    ids: Array.from(ids.subarray(i * n, i * n + filled[i]!)),
    sims: Array.from(vals.subarray(i * n, i * n + filled[i]!)),
  }));
}

/** The `n`-th largest value (1-based) of `values`, which it reorders (Hoare quickselect). */
export function nthLargest(values: Float32Array, n: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target]!;
  }
  return values[target]!;
}

/**
 * PLAID's centroid interaction, α-weighted: for each document (token rows `offsets[slot]..
 * offsets[slot+1]` of `codes`), Σ over query tokens of the best `α_t · sim(query token, c_t)`
 * over the document's tokens `t` — each token stands in for `α_t` times its centroid, its
 * projection there (`token-alpha.ts`; {@link UNIT_ALPHA} gives PLAID's plain interaction).
 * `sims` is {@link CentroidIndex.centroidSimilarities} output (`[k, m]`).
 */
export function centroidInteraction(
  sims: Float32Array,
  m: number,
  slots: Int32Array,
  offsets: Int32Array,
  codes: CentroidIds,
  alpha: AlphaView = UNIT_ALPHA,
): Float32Array {
  const out = new Float32Array(slots.length);
  const best = new Float32Array(m);
  const { bytes, stride, table } = alpha;
  for (let x = 0; x < slots.length; x++) {
    const slot = slots[x]!;
    best.fill(-Infinity);
    const end = offsets[slot + 1]!;
    for (let t = offsets[slot]!; t < end; t++) {
      const row = codes[t]! * m;
      const a = table[bytes[t * stride]!]!;
      for (let i = 0; i < m; i++) {
        const v = a * sims[row + i]!;
        if (v > best[i]!) best[i] = v;
      }
    }
    let total = 0;
    for (let i = 0; i < m; i++) total += best[i]!;
    out[x] = total;
  }
  return out;
}
