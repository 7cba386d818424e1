/**
 * Whole-corpus exact MaxSim on ONNX Runtime's CPU kernels.
 *
 * Why ONNX Runtime: the work is a GEMM (document tokens × query tokens) followed by a segmented
 * max. ORT's MLAS GEMM is multi-threaded and AVX-512 tuned, and one tiny cached session
 * (`kernel-model.ts`) runs the whole pipeline: `Gemm(D, Qᵀ)` → `Gather` of each document's rows
 * into a padded `[docs, maxLen, M]` view (padding repeats the document's first row, which cannot
 * change a max; rows are contiguous so the gather is memcpy-like — gathering columns of `Q·Dᵀ`
 * instead ran 2× slower) → `ReduceMax` → `MatMul` with a 0/1 selector that sums each query's
 * token rows. Only one float per (document, query) crosses back into JavaScript, and the selector
 * lets queries of different lengths share one product. `bench/maxsim-kernel.ts` (20k docs, 0.96 M
 * tokens, 32-token queries, 2-core box, one run): one query per call 9.4 M doc tokens/s, 8 per
 * call 16.1 M/s, numpy+BLAS 7.6 M/s (1.24× and 2.1×, identical top-10); the plain JS loop
 * (`js-kernel.ts`) 0.18 M/s, so it only serves tiny candidate sets. WASM SIMD would need a
 * toolchain we do not ship and still lose to MLAS's blocked GEMM.
 *
 * Blocking follows `maxsim_numpy.py`: blocks end on document boundaries; they are sized so the
 * similarity block stays ≈ 1 MB (cache-resident; measured faster than 4–32 MB blocks).
 */
import * as ort from "onnxruntime-node";
import { maxsimKernelModel } from "./kernel-model.js";
import type { TokenVectors } from "../types.js";
import type { FlatTokens, TokenBlocks } from "./flat-tokens.js";

interface Block {
  firstDoc: number;
  endDoc: number;
  tokenLo: number;
  tokenHi: number;
  index: ort.Tensor;
}

const SIM_BUDGET = 1 << 18; // floats in one [blockTokens, M] similarity block (1 MB: stays in cache; 32 MB blocks ran 25% slower)

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const sessions = new Map<string, Promise<ort.InferenceSession>>();
const blockCache = new WeakMap<Int32Array, Map<number, Block[]>>();

/** Options for {@link scoreFlatOrt}. */
export interface OrtKernelOptions {
  /** ORT intra-op threads. @defaultValue 0 (ORT picks: one per core) */
  threads?: number;
  /**
   * Whether ORT's pool threads spin-wait for the next run. Spinning saves a wake-up between
   * back-to-back runs; beside other work (the disk tier's reader thread) it only takes a core:
   * two-tier rescoring at 100k documents measured ~15% faster without it.
   * @defaultValue true
   */
  spinning?: boolean;
}

async function session(documents: "float32" | "float16", options: OrtKernelOptions): Promise<ort.InferenceSession> {
  const spinning = options.spinning ?? true;
  const key = `${documents}/${options.threads ?? 0}/${spinning}`;
  let s = sessions.get(key);
  if (s === undefined) {
    s = ort.InferenceSession.create(maxsimKernelModel(documents), {
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: "0" } } } }),
    });
    sessions.set(key, s);
  }
  return s;
}

function blocksFor(flat: FlatTokens | TokenBlocks, blockTokens: number): Block[] {
  let byBudget = blockCache.get(flat.offsets);
  if (!byBudget) blockCache.set(flat.offsets, (byBudget = new Map()));
  const cached = byBudget.get(blockTokens);
  if (cached) return cached;
  const offsets = flat.offsets;
  const n = offsets.length - 1;
  const blocks: Block[] = [];
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && offsets[end + 1]! - offsets[start]! <= blockTokens) end++;
    let maxLen = 0;
    for (let i = start; i < end; i++) maxLen = Math.max(maxLen, offsets[i + 1]! - offsets[i]!);
    const lo = offsets[start]!;
    const idx = new BigInt64Array((end - start) * maxLen);
    // Write the int64 indices through an int32 view (low words; highs stay 0): no BigInt per element.
    const words = new Int32Array(idx.buffer);
    const low = littleEndian ? 0 : 1;
    for (let i = start; i < end; i++) {
      const a = offsets[i]! - lo;
      const len = offsets[i + 1]! - offsets[i]!;
      const row = (i - start) * maxLen;
      for (let j = 0; j < maxLen; j++) words[2 * (row + j) + low] = a + (j < len ? j : 0);
    }
    blocks.push({ firstDoc: start, endDoc: end, tokenLo: lo, tokenHi: offsets[end]!, index: new ort.Tensor("int64", idx, [end - start, maxLen]) });
    start = end;
  }
  byBudget.set(blockTokens, blocks);
  return blocks;
}

/**
 * Exact MaxSim of every query against every document of `flat`, on ONNX Runtime. Returns one
 * `Float32Array(documents)` per query. Queries may have different lengths; all are scored in one
 * product per block. Block layouts are cached per `flat.offsets` array (do not mutate it).
 * `flat` may also be {@link TokenBlocks}: encoded rows read one block at a time (float16 blocks
 * are cast inside the graph, others decoded into a block-sized scratch buffer).
 *
 * @example
 * ```ts
 * import { scoreFlatOrt } from "@maxsim/core";
 * // two documents: rows 0-1 and row 2
 * const flat = { data: new Float32Array([1, 0, 0, 1, 1, 0]), offsets: new Int32Array([0, 2, 3]), dim: 2 };
 * const [scores] = await scoreFlatOrt([{ data: new Float32Array([0, 1]), length: 1, dim: 2 }], flat);
 * console.log([...scores!]); // [ 1, 0 ]
 * ```
 */
export async function scoreFlatOrt(queries: TokenVectors[], flat: FlatTokens | TokenBlocks, options: OrtKernelOptions = {}): Promise<Float32Array[]> {
  const nDocs = flat.offsets.length - 1;
  const dim = flat.dim;
  const out = queries.map(() => new Float32Array(nDocs));
  if (nDocs === 0 || queries.length === 0) return out;
  let m = 0;
  for (const q of queries) m += q.length;
  const qData = new Float32Array(m * dim);
  const sel = new Float32Array(queries.length * m);
  let row = 0;
  queries.forEach((q, qi) => {
    qData.set(q.data.subarray(0, q.length * dim), row * dim);
    for (let i = 0; i < q.length; i++) sel[(row + i) * queries.length + qi] = 1;
    row += q.length;
  });
  const qT = new ort.Tensor("float32", qData, [m, dim]);
  const selT = new ort.Tensor("float32", sel, [m, queries.length]);
  const blockTokens = Math.max(1024, Math.floor(SIM_BUDGET / m));
  const blocks = blocksFor(flat, blockTokens);
  // One scratch for every block, made on first use (sources that return views never need it).
  let scratch: Float32Array | null = null;
  const scratchOf = (rows: number): Float32Array => {
    if (scratch === null) {
      let most = 0;
      for (const x of blocks) most = Math.max(most, x.tokenHi - x.tokenLo);
      scratch = new Float32Array(most * dim);
    }
    return scratch.subarray(0, rows * dim);
  };
  for (const b of blocks) {
    const rows =
      "data" in flat ? flat.data.subarray(b.tokenLo * dim, b.tokenHi * dim) : flat.rows(b.tokenLo, b.tokenHi, () => scratchOf(b.tokenHi - b.tokenLo));
    const half = rows instanceof Uint16Array;
    const s = await session(half ? "float16" : "float32", options);
    const dT = new ort.Tensor(half ? "float16" : "float32", rows, [b.tokenHi - b.tokenLo, dim]);
    const res = await s.run({ q: qT, d: dT, idx: b.index, sel: selT });
    const scores = res["scores"]!.data as Float32Array;
    const nb = b.endDoc - b.firstDoc;
    const nq = queries.length;
    for (let qi = 0; qi < nq; qi++) {
      const o = out[qi]!;
      for (let i = 0; i < nb; i++) o[b.firstDoc + i] = scores[i * nq + qi]!;
    }
  }
  return out;
}
