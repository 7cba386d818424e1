/**
 * MUVERA fixed-dimensional encodings (Dhulipala et al., "MUVERA: Multi-Vector Retrieval via
 * Fixed Dimensional Encodings", 2024) in an hnswlib-node index: the alternative to PLAID that
 * `bench/ann.ts` compares against. Each of `reps` repetitions hashes tokens into 2^ksim buckets
 * with random hyperplanes (SimHash) and projects them to `dproj` dims with a random ±1 matrix;
 * a document's encoding holds per-bucket averages (empty buckets take the token closest in
 * Hamming distance), a query's holds per-bucket sums, so their inner product approximates
 * MaxSim. Candidates from HNSW are rescored exactly by the caller.
 */
import * as ort from "onnxruntime-node";
import { matmulModel } from "../scoring/kernel-model.js";
import type { FlatTokens } from "../scoring/flat-tokens.js";
import type { TokenVectors } from "../types.js";
import { MaxsimError } from "../errors.js";
import { hnswStatus, type HnswGraph } from "./hnsw-addon.js";
import { HNSW_ENABLE_HINT } from "./plaid.js";
import { gaussian, seededRandom } from "./synthetic.js";
let session: Promise<ort.InferenceSession> | null = null;

/** Options of {@link MuveraIndex}. */
export interface MuveraOptions {
  /** @defaultValue 10 */
  reps?: number;
  /** @defaultValue 4 */
  ksim?: number;
  /** @defaultValue 16 */
  dproj?: number;
  /** @defaultValue 7 */
  seed?: number;
}

/** FDE encoder + HNSW over document encodings. */
export class MuveraIndex {
  readonly reps: number;
  readonly ksim: number;
  readonly dproj: number;
  readonly fdeDim: number;
  private readonly weights: Float32Array; // rows: per rep, ksim hyperplanes then dproj projections
  private hnsw: HnswGraph | null = null;

  constructor(
    readonly dim: number,
    options: MuveraOptions = {},
  ) {
    this.reps = options.reps ?? 10;
    this.ksim = options.ksim ?? 4;
    this.dproj = options.dproj ?? 16;
    this.fdeDim = this.reps * (1 << this.ksim) * this.dproj;
    const random = seededRandom(options.seed ?? 7);
    const normal = gaussian(random);
    const rows = this.reps * (this.ksim + this.dproj);
    this.weights = new Float32Array(rows * dim);
    const scale = 1 / Math.sqrt(this.dproj);
    for (let r = 0; r < this.reps; r++) {
      for (let j = 0; j < this.ksim + this.dproj; j++) {
        const row = (r * (this.ksim + this.dproj) + j) * dim;
        for (let d = 0; d < dim; d++) this.weights[row + d] = j < this.ksim ? normal() : random() < 0.5 ? -scale : scale;
      }
    }
  }

  private async project(data: Float32Array): Promise<Float32Array> {
    session ??= ort.InferenceSession.create(matmulModel(), { interOpNumThreads: 1 });
    const s = await session;
    const rows = data.length / this.dim;
    const width = this.reps * (this.ksim + this.dproj);
    const out = new Float32Array(rows * width);
    const w = new ort.Tensor("float32", this.weights, [width, this.dim]);
    const block = 65536;
    for (let lo = 0; lo < rows; lo += block) {
      const hi = Math.min(rows, lo + block);
      const res = await s.run({ x: new ort.Tensor("float32", data.subarray(lo * this.dim, hi * this.dim), [hi - lo, this.dim]), w });
      out.set(res["y"]!.data as Float32Array, lo * width);
    }
    return out;
  }

  /** Encodes tokens `[lo, hi)` of projected rows `p` into `out` (document: averages + fill; query: sums). */
  private encode(p: Float32Array, lo: number, hi: number, isQuery: boolean, out: Float32Array): void {
    const { reps, ksim, dproj } = this;
    const width = reps * (ksim + dproj);
    const buckets = 1 << ksim;
    out.fill(0);
    const counts = new Int32Array(buckets);
    const bucketOf = new Int32Array(hi - lo);
    for (let r = 0; r < reps; r++) {
      counts.fill(0);
      const base = r * (ksim + dproj);
      const outBase = r * buckets * dproj;
      for (let t = lo; t < hi; t++) {
        let b = 0;
        for (let j = 0; j < ksim; j++) if (p[t * width + base + j]! > 0) b |= 1 << j;
        bucketOf[t - lo] = b;
        counts[b]!++;
        const o = outBase + b * dproj;
        for (let j = 0; j < dproj; j++) out[o + j]! += p[t * width + base + ksim + j]!;
      }
      if (isQuery) continue;
      for (let b = 0; b < buckets; b++) {
        const o = outBase + b * dproj;
        if (counts[b]! > 0) {
          const inv = 1 / counts[b]!;
          for (let j = 0; j < dproj; j++) out[o + j]! *= inv;
          continue;
        }
        // Empty bucket: the token whose bucket is nearest in Hamming distance.
        let best = lo;
        let bestDist = Infinity;
        for (let t = lo; t < hi; t++) {
          let x = bucketOf[t - lo]! ^ b;
          let dist = 0;
          while (x) {
            dist += x & 1;
            x >>= 1;
          }
          if (dist < bestDist) {
            bestDist = dist;
            best = t;
          }
        }
        for (let j = 0; j < dproj; j++) out[o + j] = p[best * width + base + ksim + j]!;
      }
    }
  }

  /** Builds the HNSW index over every document of `flat` (labels = document numbers). */
  async build(flat: FlatTokens, options: { m?: number; efConstruction?: number } = {}): Promise<void> {
    const n = flat.offsets.length - 1;
    const p = await this.project(flat.data.subarray(0, flat.offsets[n]! * this.dim));
    const status = hnswStatus();
    if (!status.available)
      throw new MaxsimError("DEPENDENCY_MISSING", `MUVERA needs hnswlib-node's addon, which does not load (${status.reason}). ${HNSW_ENABLE_HINT}`);
    this.hnsw = new status.module.HierarchicalNSW("ip", this.fdeDim);
    this.hnsw.initIndex({ maxElements: n, m: options.m ?? 16, efConstruction: options.efConstruction ?? 100, randomSeed: 100 });
    const fde = new Float32Array(this.fdeDim);
    for (let i = 0; i < n; i++) {
      this.encode(p, flat.offsets[i]!, flat.offsets[i + 1]!, false, fde);
      this.hnsw.addPoint(Array.from(fde), i);
    }
  }

  /** Document numbers of the `count` nearest encodings to the query's. */
  async candidates(query: TokenVectors, count: number, ef = Math.max(count, 64)): Promise<Int32Array> {
    if (this.hnsw === null) throw new Error("MuveraIndex.build() first");
    const p = await this.project(query.data.subarray(0, query.length * this.dim));
    const fde = new Float32Array(this.fdeDim);
    this.encode(p, 0, query.length, true, fde);
    this.hnsw.setEf(ef);
    const n = Math.min(count, this.hnsw.getCurrentCount());
    return Int32Array.from(this.hnsw.searchKnn(Array.from(fde), n).neighbors);
  }

  /** Bytes per document of the encodings (float32). */
  get bytesPerDocument(): number {
    return this.fdeDim * 4;
  }
}
