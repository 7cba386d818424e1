/**
 * Recall calibration of PLAID settings, run when centroids are trained or retrained: held-out
 * pseudo-queries are drawn from the index's own documents the way real queries look (a few of a
 * document's tokens, each given another token's contextual residual so it is not the stored
 * vector itself, then expansion-like tokens near their mean, to 32 tokens), their exact top-10
 * is the truth, and a grid of (nprobe, candidates, rescore) is measured on them. The cheapest
 * point (by a deterministic cost model of the work each stage does, so the choice does not
 * depend on the machine's load) whose recall@10 meets the target is kept; every point is kept
 * too, so a query may ask for another target.
 */
import { seededRandom } from "./synthetic.js";
import { exactTopK, plaidSearch } from "./index-search.js";
import { CALIBRATION_MARGIN } from "./planner.js";
import type { SlotTable } from "./slot-table.js";
import type { TokenVectors } from "../types.js";
import type { Calibration, CalibrationPoint, PlaidSettings } from "./types.js";

const K = 10;
const QUERY_LENGTH = 32;
const NPROBES = [2, 4, 8, 16, 32];
const WIDTHS: readonly [number, number][] = [
  [128, 32],
  [256, 64],
  [512, 128],
  [1024, 256],
  [2048, 512],
  [4096, 1024],
];
/**
 * Stop widening (and probing more) once a point reaches the target plus this: the grid explores
 * a little above the target for queries asking more, and stays cheap to measure at each training.
 */
const HEADROOM = 0.02;
/** Expansion spreads of the two pseudo-query styles (tight and wide around the query mean); recall is the worse style's. */
const SPREADS = [0.2, 0.5];

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  targetRecall: number;
  /** Pseudo-queries. @defaultValue 32 */
  queries?: number;
  seed?: number;
}

/** Measures the grid on pseudo-queries over `table` (trained) and picks the settings; see the module comment. */
export async function calibrate(table: SlotTable, options: CalibrateOptions): Promise<Calibration> {
  const count = Math.max(SPREADS.length, Math.min(options.queries ?? 32, table.liveCount));
  const styles = SPREADS.map((spread, i) => pseudoQueries(table, Math.ceil(count / SPREADS.length), (options.seed ?? 1) + 7919 * i, spread));
  const queries = styles.flat();
  const styleOf = (i: number): number => Math.floor(i / styles[0]!.length);
  const truth = await exactTopK(table, queries, { k: K });
  const ci = table.centroidIndex!;
  const avgTokens = table.liveTokens / Math.max(1, table.liveCount);
  const listLength = ci.meanListLength();
  const cost = (s: PlaidSettings): number =>
    // ns-scaled work of each stage: HNSW probes, scanning probed lists, full centroid
    // interaction of the candidates, decoding + exact scoring of the rescored ones.
    QUERY_LENGTH * s.nprobe * (200 + 2 * listLength) +
    Math.min(s.candidates, table.liveCount) * avgTokens * QUERY_LENGTH +
    Math.min(s.rescore, table.liveCount) * avgTokens * table.dim * (1 + 0.1 * QUERY_LENGTH);
  const enough = Math.min(0.999, options.targetRecall + CALIBRATION_MARGIN + HEADROOM);
  const grid: (CalibrationPoint & { latencyMs: number })[] = [];
  for (const nprobe of NPROBES) {
    let best = 0;
    for (const [candidates, rescore] of WIDTHS) {
      const settings = { nprobe, candidates, rescore };
      const hit = SPREADS.map(() => 0);
      const t0 = performance.now();
      for (const [i, q] of queries.entries()) {
        const hits = await plaidSearch(table, q, K, settings);
        const want = new Set(truth[i]!.map((h) => h.id));
        hit[styleOf(i)]! += hits.filter((h) => want.has(h.id)).length / Math.max(1, Math.min(K, want.size));
      }
      const latencyMs = (performance.now() - t0) / Math.max(1, queries.length);
      const recall = Math.min(...hit.map((h, s) => h / Math.max(1, styles[s]!.length)));
      grid.push({ ...settings, recall, cost: Math.round(cost(settings)), latencyMs });
      best = Math.max(best, recall);
      if (recall >= enough || rescore >= table.liveCount) break;
    }
    if (best >= enough) break;
  }
  grid.sort((a, b) => a.cost - b.cost);
  const exactCost = Math.round(table.liveTokens * table.dim * 0.1 * QUERY_LENGTH);
  const meeting = grid.find((p) => p.recall >= Math.min(1, options.targetRecall + CALIBRATION_MARGIN));
  const chosen = meeting ?? [...grid].sort((a, b) => b.recall - a.recall || a.cost - b.cost)[0]!;
  return {
    targetRecall: options.targetRecall,
    settings: { nprobe: chosen.nprobe, candidates: chosen.candidates, rescore: chosen.rescore },
    recall: chosen.recall,
    latencyMs: chosen.latencyMs,
    queries: queries.length,
    queryLength: QUERY_LENGTH,
    grid: grid.map(({ latencyMs: _l, ...p }) => p),
    exactCost,
    calibratedAt: new Date().toISOString(),
    documents: table.liveCount,
    tokens: table.liveTokens,
  };
}

/**
 * Pseudo-queries from the table's live documents: 4–12 of a document's tokens, each moved by
 * another random token's residual to its centroid (a different context for the same "word"),
 * then expansion-like tokens (the mean of those plus a residual at weight `spread`) up to 32 tokens.
 */
export function pseudoQueries(table: SlotTable, count: number, seed: number, spread = 0.5): TokenVectors[] {
  const random = seededRandom(seed);
  const dim = table.dim;
  const ci = table.centroidIndex!;
  const live: number[] = [];
  for (let s = 0; s < table.slots; s++) if (table.alive[s] === 1) live.push(s);
  const row = new Float32Array(dim);
  const residual = (out: Float32Array): void => {
    // A random live token's offset from its centroid.
    const slot = live[Math.floor(random() * live.length)]!;
    const lo = table.offsets[slot]!;
    const t = lo + Math.floor(random() * (table.offsets[slot + 1]! - lo));
    table.arena.decode(t, t + 1, out);
    const c = table.codes[t]! * dim;
    for (let d = 0; d < dim; d++) out[d]! -= ci.centroids[c + d]!;
  };
  const out: TokenVectors[] = [];
  const r = new Float32Array(dim);
  for (let q = 0; q < count; q++) {
    const slot = live[Math.floor(random() * live.length)]!;
    const lo = table.offsets[slot]!;
    const n = table.offsets[slot + 1]! - lo;
    const real = Math.max(1, Math.min(n, 4 + Math.floor(random() * 9)));
    const data = new Float32Array(QUERY_LENGTH * dim);
    const mean = new Float32Array(dim);
    for (let i = 0; i < real; i++) {
      const t = lo + Math.floor(random() * n);
      table.arena.decode(t, t + 1, row);
      residual(r);
      for (let d = 0; d < dim; d++) data[i * dim + d] = row[d]! + r[d]!;
      normalize(data, i * dim, dim);
      for (let d = 0; d < dim; d++) mean[d]! += data[i * dim + d]!;
    }
    normalize(mean, 0, dim);
    for (let i = real; i < QUERY_LENGTH; i++) {
      residual(r);
      for (let d = 0; d < dim; d++) data[i * dim + d] = mean[d]! + spread * r[d]!;
      normalize(data, i * dim, dim);
    }
    out.push({ data, length: QUERY_LENGTH, dim });
  }
  return out;
}

function normalize(v: Float32Array, at: number, dim: number): void {
  let n = 0;
  for (let d = 0; d < dim; d++) n += v[at + d]! * v[at + d]!;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let d = 0; d < dim; d++) v[at + d]! *= inv;
}
