/**
 * A token-level first stage, after XTR (Lee et al., "Rethinking the Role of Token Retrieval in
 * Multi-Vector Retrieval", 2023) and WARP (Scheerer et al., 2025): each query token is scored
 * against the stored tokens of its probed centroids only — their true similarities, not the
 * centroid's — and a document's approximate score sums, per query token, its best retrieved
 * token, or an imputed value when none of its tokens was retrieved for that query token.
 *
 * Why: PLAID's centroid interaction stands every token in for its centroid, and on corpora whose
 * words vary a lot by context that ranks poorly (the true top-10 needed thousands of rescored
 * documents at 20k). Scoring the probed tokens exactly costs nprobe × list length dot products
 * per query token, a few hundred times fewer (query token, document token) pairs than rescoring
 * that many documents.
 *
 * The imputed value for query token `i` lies between the lowest similarity retrieved for it and
 * the similarity of its last probed centroid: `low + impute · (last − low)`. Where in that range
 * the missing maxima fall depends on the corpus (measured at 20k: 0.25 ranked best on one bench
 * family, 0.5 on two others, with recall at 512 candidates differing by 0.3), so it is a
 * calibrated setting, not a constant.
 */
import type { TokenVectors } from "../types.js";
import type { CentroidIds } from "./plaid.js";
import { nthLargest } from "./plaid.js";
import type { SlotTable } from "./slot-table.js";
import { rowsTimesQuery } from "./plaid.js";
import { releaseScratch, takeScratch } from "./scratch-pool.js";
import { Float32Arena } from "./token-arena.js";

/**
 * Per centroid, the rows of the tokens assigned to it (ascending), for slots `[0, slots)`. Rows
 * appended later are the table's tail, scanned directly until a rebuild. 4 bytes per token: a
 * row's slot is found by binary search in the offsets rather than stored.
 */
export class TokenLists {
  private constructor(
    readonly start: Int32Array,
    readonly rows: Int32Array,
    /** Slots and tokens covered by the lists; later rows are the tail. */
    readonly slots: number,
    readonly tokens: number,
  ) {}

  static build(codes: CentroidIds, offsets: Int32Array, slots: number, k: number): TokenLists {
    const tokens = offsets[slots]!;
    const start = new Int32Array(k + 1);
    for (let t = 0; t < tokens; t++) start[codes[t]! + 1]!++;
    for (let c = 0; c < k; c++) start[c + 1]! += start[c]!;
    const rows = new Int32Array(tokens);
    const at = start.slice(0, k);
    for (let t = 0; t < tokens; t++) rows[at[codes[t]!]!++] = t;
    return new TokenLists(start, rows, slots, tokens);
  }

  /** Mean tokens per centroid: what one probe scores. */
  meanLength(): number {
    return this.tokens / Math.max(1, this.start.length - 1);
  }
}

/** One query token's probe: centroid ids and similarities, best first. */
export interface Probe {
  ids: readonly number[];
  sims: readonly number[];
}

/**
 * Retrieved similarities of one query: per touched slot, per query token, the best similarity of
 * its retrieved tokens (−∞ when none). `best` and `touched` live in pooled buffers: call
 * `release()` once ranked.
 */
export interface TokenScores {
  touched: Int32Array;
  /** `[touched.length, m]`, row-major. */
  best: Float32Array;
  m: number;
  /** Per query token: its last probed centroid's similarity, and the lowest retrieved similarity. */
  last: Float32Array;
  low: Float32Array;
  /** (query token, document token) pairs retrieved, and document rows read (each once). */
  pairs: number;
  rows: number;
  release(): void;
}

/** Rows scored per ONNX Runtime product (16 MB of float32 at dim 128): bounds the gathered block. */
const BLOCK_ROWS = 1 << 15;

/** Per centroid, the head of its chain of probing query tokens (−1: not probed); reset after each use. */
let probedHead = new Int32Array(0);

/** Slot holding row `row`: the last `s` with `offsets[s] ≤ row`, among `[0, slots)`. */
function slotOfRow(offsets: Int32Array, slots: number, row: number): number {
  let lo = 0;
  let hi = slots - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Pooled scratch of `n` int32s (the float pool's buffers, viewed as integers). */
function takeInts(n: number): { ints: Int32Array; buffer: Float32Array } {
  const buffer = takeScratch(n);
  return { ints: new Int32Array(buffer.buffer, buffer.byteOffset, n), buffer };
}

/**
 * Scores every stored token of the probed centroids (the lists' rows and the tail's) against all
 * query tokens in blocks — rows gathered (decoded once), one ORT product per block — and keeps
 * for each (document, query token) the best among the rows whose centroid that query token
 * probed. See {@link TokenScores}.
 */
export async function collectTokenScores(table: SlotTable, lists: TokenLists, query: TokenVectors, probes: readonly Probe[]): Promise<TokenScores> {
  const m = query.length;
  const dim = table.dim;
  const k = lists.start.length - 1;
  const slots = table.slots;
  const offsets = table.offsets;
  const codes = table.codes;
  // Which query tokens probed each centroid: a chain per centroid of (next, token) entries.
  if (probedHead.length < k) probedHead = new Int32Array(k).fill(-1);
  const heads = probedHead;
  const next: number[] = [];
  const tokenOf: number[] = [];
  const probed: number[] = [];
  const last = new Float32Array(m);
  probes.forEach((p, i) => {
    last[i] = p.sims.length > 0 ? p.sims[p.sims.length - 1]! : 0;
    for (const c of p.ids) {
      if (heads[c] === -1) probed.push(c);
      next.push(heads[c]!);
      tokenOf.push(i);
      heads[c] = next.length - 1;
    }
  });
  // The rows to score, their slots and their centroid's chain, before anything is awaited.
  const rowList: number[] = [];
  const slotList: number[] = [];
  const headList: number[] = [];
  for (const c of probed) {
    for (let x = lists.start[c]!; x < lists.start[c + 1]!; x++) {
      const row = lists.rows[x]!;
      rowList.push(row);
      slotList.push(slotOfRow(offsets, lists.slots, row));
      headList.push(heads[c]!);
    }
  }
  for (let slot = lists.slots; slot < slots; slot++) {
    for (let row = offsets[slot]!; row < offsets[slot + 1]!; row++) {
      const head = heads[codes[row]!]!;
      if (head === -1) continue;
      rowList.push(row);
      slotList.push(slot);
      headList.push(head);
    }
  }
  for (const c of probed) heads[c] = -1;
  const bound = Math.min(rowList.length, slots);
  const where = takeInts(slots); // slot → touched index + 1 (0: untouched)
  where.ints.fill(0);
  const touched = takeInts(Math.max(1, bound));
  const best = takeScratch(Math.max(1, bound * m));
  const gathered = takeScratch(Math.min(BLOCK_ROWS, Math.max(1, rowList.length)) * dim);
  let count = 0;
  let pairs = 0;
  try {
    const direct = table.arena instanceof Float32Arena ? table.arena.view() : null;
    for (let from = 0; from < rowList.length; from += BLOCK_ROWS) {
      const to = Math.min(rowList.length, from + BLOCK_ROWS);
      for (let x = from; x < to; x++) {
        const row = rowList[x]!;
        if (direct !== null) gathered.set(direct.subarray(row * dim, (row + 1) * dim), (x - from) * dim);
        else table.arena.decode(row, row + 1, gathered, x - from);
      }
      const y = await rowsTimesQuery(gathered, to - from, query); // [rows, m]
      for (let x = from; x < to; x++) {
        const slot = slotList[x]!;
        let t = where.ints[slot]! - 1;
        if (t === -1) {
          t = count++;
          where.ints[slot] = t + 1;
          touched.ints[t] = slot;
          best.fill(-Infinity, t * m, (t + 1) * m);
        }
        const bt = t * m;
        const yr = (x - from) * m;
        for (let e = headList[x]!; e !== -1; e = next[e]!) {
          const i = tokenOf[e]!;
          const d = y[yr + i]!;
          pairs++;
          if (d > best[bt + i]!) best[bt + i] = d;
        }
      }
    }
  } catch (error) {
    releaseScratch(touched.buffer);
    releaseScratch(best);
    throw error;
  } finally {
    releaseScratch(gathered);
    releaseScratch(where.buffer);
  }
  // The lowest similarity retrieved for each query token (not retrieved: −∞, skipped).
  const low = new Float32Array(m).fill(Infinity);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < m; i++) {
      const v = best[t * m + i]!;
      if (v !== -Infinity && v < low[i]!) low[i] = v;
    }
  }
  for (let i = 0; i < m; i++) if (low[i] === Infinity) low[i] = last[i]!; // nothing retrieved for token i
  return {
    touched: touched.ints.subarray(0, count),
    best: best.subarray(0, count * m),
    m,
    last,
    low,
    pairs,
    rows: rowList.length,
    release: () => {
      releaseScratch(touched.buffer);
      releaseScratch(best);
    },
  };
}

/**
 * The `want` best accepted slots of `scores` at imputation `impute` (see the module comment), best
 * first (ties: lower slot first).
 */
export function rankTokenScores(scores: TokenScores, impute: number, want: number, accept: (slot: number) => boolean): Int32Array {
  const { touched, best: b, m, last, low } = scores;
  const miss = new Float32Array(m);
  for (let i = 0; i < m; i++) miss[i] = low[i]! + impute * (last[i]! - low[i]!);
  const kept: number[] = [];
  // float32 sums: the threshold below is a float32, and a float64 sum equal to it would compare unequal.
  const values = new Float32Array(touched.length);
  for (let t = 0; t < touched.length; t++) {
    const slot = touched[t]!;
    if (!accept(slot)) continue;
    let total = 0;
    for (let i = 0; i < m; i++) {
      const v = b[t * m + i]!;
      total += v === -Infinity ? miss[i]! : v;
    }
    values[kept.length] = total;
    kept.push(slot);
  }
  let order = kept.map((_, x) => x);
  if (kept.length > want) {
    const threshold = nthLargest(values.slice(0, kept.length), want);
    const above = order.filter((x) => values[x]! > threshold);
    for (const x of order) {
      if (above.length >= want) break;
      if (values[x] === threshold) above.push(x);
    }
    order = above;
  }
  order.sort((x, y) => values[y]! - values[x]! || kept[x]! - kept[y]!);
  return Int32Array.from(order, (x) => kept[x]!);
}
