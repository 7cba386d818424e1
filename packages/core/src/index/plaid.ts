/**
 * PLAID-style candidate generation (Santhanam et al., "PLAID: An Efficient Engine for Late
 * Interaction Retrieval", CIKM 2022). Each token carries the id of its nearest centroid; each
 * centroid keeps an inverted list of the documents holding one of its tokens. A query token's
 * nearest centroids come from an hnswlib-node graph over the centroids (inner product). A
 * candidate's approximate score is PLAID's pruned "centroid interaction": for each query token,
 * the similarity of the best probed centroid the document holds (0 when it holds none), summed.
 * It is computed from the inverted lists alone — no per-document token scan — so it costs
 * Σ probed-list lengths. The best `candidates` then get PLAID's full centroid interaction
 * (`centroidInteraction`: every document token stands in for its centroid, one ORT product
 * Cᵀ·Q gives all query-centroid similarities), and the caller rescores the best of those exactly.
 */
import hnswlib from "hnswlib-node";
import * as ort from "onnxruntime-node";
import { matmulModel } from "../scoring/kernel-model.js";
import type { TokenVectors } from "../types.js";

const { HierarchicalNSW } = hnswlib;

/** Nearest-centroid ids of tokens: 2 bytes each up to 65,536 centroids, else 4. */
export type CentroidIds = Uint16Array | Int32Array;

/** An id array of `n` tokens for `k` centroids (see {@link CentroidIds}). */
export function centroidIdArray(k: number, n: number): CentroidIds {
  return k <= 65536 ? new Uint16Array(n) : new Int32Array(n);
}
let matmul: Promise<ort.InferenceSession> | null = null;

/** A growable list of document slots. */
class SlotList {
  items = new Int32Array(8);
  length = 0;
  push(v: number): void {
    if (this.length === this.items.length) {
      const next = new Int32Array(this.items.length * 2);
      next.set(this.items);
      this.items = next;
    }
    this.items[this.length++] = v;
  }
}

/** Centroids, their HNSW graph and inverted lists. */
export class CentroidIndex {
  readonly k: number;
  private readonly hnsw: InstanceType<typeof HierarchicalNSW>;
  private lists: SlotList[];
  /** Scratch: per slot, the last query token that touched it, and the running score. */
  private stamp = new Int32Array(0);
  private acc = new Float32Array(0);

  constructor(
    readonly centroids: Float32Array,
    readonly dim: number,
  ) {
    this.k = centroids.length / dim;
    this.hnsw = new HierarchicalNSW("ip", dim);
    // Few points: a dense graph and a wide construction beam cost little and keep probes exact.
    this.hnsw.initIndex({ maxElements: this.k, m: 32, efConstruction: 200, randomSeed: 100 });
    for (let c = 0; c < this.k; c++) this.hnsw.addPoint(Array.from(centroids.subarray(c * dim, (c + 1) * dim)), c);
    this.lists = Array.from({ length: this.k }, () => new SlotList());
  }

  /** Registers document `slot` whose tokens have centroid ids `codes` (deduplicated here). */
  addDocument(slot: number, codes: CentroidIds): void {
    const seen = new Set<number>();
    for (const c of codes) {
      if (seen.has(c)) continue;
      seen.add(c);
      this.lists[c]!.push(slot);
    }
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

  /** Mean inverted-list length (document slots per centroid): what one probe scans. */
  meanListLength(): number {
    let total = 0;
    for (const list of this.lists) total += list.length;
    return total / Math.max(1, this.k);
  }

  /** Drops every inverted list (before re-adding the live documents). */
  clearLists(): void {
    this.lists = Array.from({ length: this.k }, () => new SlotList());
  }

  /** Probed centroids of one query token: ids and similarities, best first. */
  probe(row: Float32Array, nprobe: number): { ids: number[]; sims: number[] } {
    const n = Math.min(nprobe, this.k);
    this.hnsw.setEf(Math.max(32, 2 * n));
    const res = this.hnsw.searchKnn(Array.from(row), n);
    const order = res.neighbors.map((id, i) => ({ id, sim: 1 - res.distances[i]! })).sort((a, b) => b.sim - a.sim);
    return { ids: order.map((o) => o.id), sims: order.map((o) => o.sim) };
  }

  /**
   * The `candidates` best slots by pruned centroid interaction, among slots that `accept`.
   * `slots` is the number of document slots (an upper bound on slot numbers).
   */
  candidates(query: TokenVectors, slots: number, nprobe: number, candidates: number, accept: (slot: number) => boolean): Int32Array {
    if (this.stamp.length < slots) {
      this.stamp = new Int32Array(slots);
      this.acc = new Float32Array(slots);
    }
    const stamp = this.stamp;
    const acc = this.acc;
    const touched: number[] = [];
    const dim = this.dim;
    for (let i = 0; i < query.length; i++) {
      const { ids, sims } = this.probe(query.data.subarray(i * dim, (i + 1) * dim), nprobe);
      const mark = i + 1;
      for (let p = 0; p < ids.length; p++) {
        const list = this.lists[ids[p]!]!;
        const s = sims[p]!;
        const items = list.items;
        for (let x = 0; x < list.length; x++) {
          const slot = items[x]!;
          const st = stamp[slot]!;
          if (st === mark) continue; // already credited with a better centroid for this token
          if (st === 0) {
            touched.push(slot);
            acc[slot] = 0;
          }
          stamp[slot] = mark;
          acc[slot]! += s;
        }
      }
    }
    const kept: number[] = [];
    for (const slot of touched) {
      if (accept(slot)) kept.push(slot);
      stamp[slot] = 0;
    }
    // Keep the best `candidates` without sorting everything (tens of thousands touched at 50k docs).
    let chosen = kept;
    if (kept.length > candidates) {
      const values = Float32Array.from(kept, (s) => acc[s]!);
      const threshold = nthLargest(values, candidates);
      chosen = kept.filter((s) => acc[s]! > threshold);
      for (const s of kept) {
        if (chosen.length >= candidates) break;
        if (acc[s] === threshold) chosen.push(s);
      }
    }
    chosen.sort((a, b) => acc[b]! - acc[a]! || a - b);
    return Int32Array.from(chosen);
  }
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
 * PLAID's centroid interaction: for each document (token rows `offsets[slot]..offsets[slot+1]`
 * of `codes`), Σ over query tokens of the best similarity among the document's centroids.
 * `sims` is {@link CentroidIndex.centroidSimilarities} output (`[k, m]`).
 */
export function centroidInteraction(sims: Float32Array, m: number, slots: Int32Array, offsets: Int32Array, codes: CentroidIds): Float32Array {
  const out = new Float32Array(slots.length);
  const best = new Float32Array(m);
  for (let x = 0; x < slots.length; x++) {
    const slot = slots[x]!;
    best.fill(-Infinity);
    const end = offsets[slot + 1]!;
    for (let t = offsets[slot]!; t < end; t++) {
      const row = codes[t]! * m;
      for (let i = 0; i < m; i++) {
        const v = sims[row + i]!;
        if (v > best[i]!) best[i] = v;
      }
    }
    let total = 0;
    for (let i = 0; i < m; i++) total += best[i]!;
    out[x] = total;
  }
  return out;
}
