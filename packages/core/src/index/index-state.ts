/**
 * The index's options and its persisted state (manifest `meta.maxsimIndex`): validation of the
 * creation options, the state record, and the small rules derived from it (the codec's residual
 * bits, PLAID's default centroid count).
 */
import { MaxsimError } from "../errors.js";
import type { TokenVectors } from "../types.js";
import type { CentroidIds } from "./plaid.js";
import { DEFAULT_LATENCY_BUDGET_MS, DEFAULT_TARGET_RECALL } from "./planner.js";
import type { Calibration, IndexCodec } from "./types.js";

/** One document to add: its id, token vectors and an optional JSON payload. */
export interface IndexItem {
  id: string;
  embeddings: TokenVectors;
  /** JSON-serialisable value stored in the same commit (e.g. `{ text, metadata }`). */
  payload?: unknown;
}

/** Options of {@link MaxSimIndex.create} and {@link MaxSimIndex.inMemory}. */
export interface MaxSimIndexOptions {
  dim: number;
  /** @defaultValue "float32" */
  codec?: IndexCodec;
  /** Token count from which the index trains centroids and `search` becomes approximate. @defaultValue 32768 */
  minTrainTokens?: number;
  /** Centroid count; by default ≈ 4·√tokens (a power of two, as PLAID picks it). */
  centroids?: number;
  /** k-means seed. @defaultValue 1234 */
  seed?: number;
  /** Free-form JSON stored in the manifest for the index's owner (e.g. the Collection's model id). */
  meta?: Record<string, unknown>;
  /**
   * Retrain centroids automatically once the tokens added since the last training reach the
   * count they were trained on (checked after every add/upsert, retrained in the same exclusive
   * section through the commit path `compact()` uses). Stored in the index, so it survives
   * reopening. `false` keeps centroids until an explicit {@link MaxSimIndex.compact}.
   * @defaultValue true
   */
  autoRetrain?: boolean;
  /**
   * Recall@10 vs exact that approximate search is calibrated for: each (re)training measures a
   * grid of PLAID settings on pseudo-queries drawn from the index's own documents and keeps the
   * cheapest meeting it (see {@link MaxSimIndex.calibration}). Stored in the index.
   * @defaultValue 0.97
   */
  targetRecall?: number;
  /**
   * Latency an exact scan may take before `search` goes approximate, predicted from the exact
   * kernel's measured throughput on this machine. Stored in the index.
   * @defaultValue 10
   */
  latencyBudgetMs?: number;
  /**
   * Two tiers: `"float16"` keeps every token's float16 row on disk (block-checksummed tier
   * blobs, read with positional reads) and only the residual codes in memory. Candidates are
   * generated and ranked on the codes; the ones rescored, `searchExact` and `rerank` read
   * float16 rows from disk, so results are those of a float16 index at the memory of the residual
   * codec. Needs a residual codec (`residual-2` / `residual-4`). Training is not deferred by
   * {@link MaxSimIndex.bulk} past `minTrainTokens` (the float16 rows stay on disk, so re-encoding at a
   * later retraining reads them, not the quantised codes): memory stays at the codes while
   * a bulk load runs. In memory (`inMemory`), the tier is kept in memory.
   * @defaultValue undefined (one tier: the codec's rows in memory)
   */
  diskTier?: "float16";
}

/** Options of {@link MaxSimIndex.open}. */
export interface MaxSimIndexOpenOptions {
  /** Open without the writer lock; writes fail with `INDEX_READ_ONLY`. @defaultValue false */
  readOnly?: boolean;
  /**
   * Checks each live document's payload when a snapshot is loaded (open and every `refresh`);
   * return a problem (e.g. `"its text is not a string"`) to fail the load with an
   * {@link IndexCorruptError} naming the segment file, instead of serving it.
   */
  checkPayload?: PayloadCheck;
}

/** See {@link MaxSimIndexOpenOptions.checkPayload}. */
export type PayloadCheck = (payload: unknown, id: string) => string | undefined;

/** Index state kept in the manifest `meta` under {@link STATE_KEY}. */
export interface IndexState {
  format: 1;
  codec: IndexCodec;
  minTrainTokens: number;
  centroids: number | null;
  seed: number;
  trained: boolean;
  trainedTokens: number;
  trainError: number;
  postTokens: number;
  postErrorSum: number;
  /** Absent in indexes written before the option existed: treated as `true`. */
  autoRetrain?: boolean;
  /** Absent in indexes written before calibration: 0.97. */
  targetRecall?: number;
  /** Absent in indexes written before the planner: 10. */
  latencyBudgetMs?: number;
  /** The last calibration (null/absent: untrained, or trained before calibration existed). */
  calibration?: Calibration | null;
  /** Two-tier indexes: the disk tier's form, and the number of the next tier blob. */
  diskTier?: "float16";
  nextTier?: number;
}

export const STATE_KEY = "maxsimIndex";
export const CODECS: readonly IndexCodec[] = ["float32", "float16", "residual-2", "residual-4"];

/** Residual bits of a codec, or `null` for the float codecs. */
export function residualBits(codec: IndexCodec): 2 | 4 | null {
  return codec === "residual-2" ? 2 : codec === "residual-4" ? 4 : null;
}

/** The state of a new index, from validated creation options. */
export function initialState(options: MaxSimIndexOptions): IndexState {
  const codec = options.codec ?? "float32";
  if (!CODECS.includes(codec)) {
    throw new MaxsimError("INVALID_OPTION", `Unknown index codec ${JSON.stringify(codec)}. Use one of ${CODECS.join(", ")}.`);
  }
  if (!Number.isSafeInteger(options.dim) || options.dim < 1) {
    throw new MaxsimError("INVALID_OPTION", `Index dim must be a positive integer (got ${options.dim}). Pass the encoder's output dimension.`);
  }
  if (options.centroids !== undefined) positiveInt(options.centroids, "centroids");
  const t = options.targetRecall;
  if (t !== undefined && !(typeof t === "number" && t > 0 && t <= 1)) {
    throw new MaxsimError("INVALID_OPTION", `targetRecall must be a number in (0, 1] (got ${String(t)}). Use e.g. 0.97 (the default).`);
  }
  const b = options.latencyBudgetMs;
  if (b !== undefined && !(typeof b === "number" && b >= 0 && !Number.isNaN(b))) {
    throw new MaxsimError("INVALID_OPTION", `latencyBudgetMs must be a number ≥ 0 (got ${String(b)}). Use e.g. 10 (the default).`);
  }
  if (options.diskTier !== undefined && (options.diskTier !== "float16" || residualBits(codec) === null)) {
    throw new MaxsimError(
      "INVALID_OPTION",
      `diskTier ${JSON.stringify(options.diskTier)} with codec ${codec}: the disk tier is "float16" and needs a residual codec in memory. Use { codec: "residual-2", diskTier: "float16" }, or leave diskTier out.`,
    );
  }
  return {
    format: 1,
    codec,
    minTrainTokens: options.minTrainTokens ?? 32768,
    centroids: options.centroids ?? null,
    seed: options.seed ?? 1234,
    trained: false,
    trainedTokens: 0,
    trainError: 0,
    postTokens: 0,
    postErrorSum: 0,
    autoRetrain: options.autoRetrain ?? true,
    targetRecall: options.targetRecall ?? DEFAULT_TARGET_RECALL,
    latencyBudgetMs: options.latencyBudgetMs ?? DEFAULT_LATENCY_BUDGET_MS,
    calibration: null,
    ...(options.diskTier !== undefined ? { diskTier: options.diskTier, nextTier: 0 } : {}),
  };
}

/** Centroids at most: their ids are stored in two bytes per token. */
export const MAX_CENTROIDS = 65536;

/**
 * The power of two nearest 16·√tokens, ColBERTv2/PLAID's scale (they round down), between 16 and
 * {@link MAX_CENTROIDS}, and at most one per 8 tokens so each is trained on a few. Centroids are
 * what stage 1 and the centroid interaction see of a token: on corpora whose words' contexts
 * vary a lot, 4·√T of them (this index's earlier default) left the interaction ranking the true
 * top-10 below the 4,096th candidate (20k docs, `bench/ann.ts`), where 16·√T keeps them within
 * the first 1,024.
 */
export function defaultCentroids(tokens: number): number {
  const k = 2 ** Math.round(Math.log2(16 * Math.sqrt(tokens)));
  return Math.max(16, Math.min(MAX_CENTROIDS, k, 2 ** Math.floor(Math.log2(Math.max(1, tokens / 8)))));
}

/** `v` when it is an integer ≥ 1, else `INVALID_OPTION` naming the option. */
export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new MaxsimError("INVALID_OPTION", `${name} must be an integer ≥ 1 (got ${v}).`);
  return v;
}

/** Centroid ids in their stored width: 2 bytes up to 65,536 centroids, else 4. */
export function narrowCodes(codes: CentroidIds, k: number): CentroidIds {
  return k <= 65536 ? Uint16Array.from(codes) : Int32Array.from(codes);
}
