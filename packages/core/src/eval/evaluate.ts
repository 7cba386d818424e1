/**
 * Runs a retrieval dataset through an encoder and the MaxSim index, exact and approximate search
 * side by side on the *same* encoded vectors, so the difference is the index's alone.
 */
import { MaxsimError, throwIfAborted } from "../errors.js";
import type { TokenVectors } from "../types.js";
import type { RetrievalDataset } from "./dataset.js";
import { evaluateRun, type MetricScores } from "./metrics.js";

/** The slice of an encoder evaluation needs (any `Encoder` fits). */
export interface EvalEncoder {
  readonly modelId: string;
  readonly dim: number;
  encodeQueries(texts: string[], opts?: { batchSize?: number; signal?: AbortSignal }): Promise<TokenVectors[]>;
  encodeDocuments(texts: string[], opts?: { batchSize?: number; signal?: AbortSignal }): Promise<TokenVectors[]>;
}

/** The slice of a MaxSim index evaluation needs (`MaxSimIndex.inMemory` fits). */
export interface EvalIndex {
  add(items: { id: string; embeddings: TokenVectors }[]): Promise<void>;
  searchExact(query: TokenVectors, options: { k: number }): Promise<{ id: string; score: number }[]>;
  search(query: TokenVectors, options: { k: number; exact?: boolean }): Promise<{ id: string; score: number }[]>;
  close(): Promise<void>;
}

/** Search mode. */
export type SearchMode = "exact" | "approximate";

/** Metrics and search latency of one mode. */
export interface ModeResult {
  scores: MetricScores;
  /** Search time per query, index only (queries are encoded once for both modes). */
  latencyMs: { p50: number; p95: number; mean: number };
}

/** Result of {@link evaluateDataset}. */
export interface DatasetResult {
  dataset: string;
  queries: number;
  documents: number;
  modes: Partial<Record<SearchMode, ModeResult>>;
}

/** Options for the evaluation functions. */
export interface EvaluateOptions {
  /** Depth of each ranking (recall@100 needs 100). @defaultValue 100 */
  k?: number;
  /** @defaultValue ["exact", "approximate"] */
  modes?: readonly SearchMode[];
  batchSize?: number;
  signal?: AbortSignal;
  /** Progress messages for long runs. */
  onProgress?: (message: string) => void;
}

/** Encoded corpus ready to search, reusable across query sets (the matrix shares one per language). */
export interface EncodedCorpus {
  index: EvalIndex;
  documents: number;
}

/** Encodes `dataset.corpus` into a fresh index from `createIndex`. */
export async function encodeCorpus(
  encoder: EvalEncoder,
  corpus: RetrievalDataset["corpus"],
  createIndex: (dim: number) => EvalIndex | Promise<EvalIndex>,
  options: EvaluateOptions = {},
): Promise<EncodedCorpus> {
  if (corpus.length === 0) throw new MaxsimError("DATASET_INVALID", "The corpus is empty. Point the loader at a dataset with documents.");
  const index = await createIndex(encoder.dim);
  const chunk = 256;
  for (let start = 0; start < corpus.length; start += chunk) {
    throwIfAborted(options.signal);
    const docs = corpus.slice(start, start + chunk);
    const texts = docs.map((d) => (d.title ? `${d.title}\n${d.text}` : d.text));
    const vectors = await encoder.encodeDocuments(texts, { batchSize: options.batchSize, signal: options.signal });
    await index.add(docs.map((d, i) => ({ id: d.id, embeddings: vectors[i] as TokenVectors })));
    options.onProgress?.(`encoded ${Math.min(start + chunk, corpus.length)}/${corpus.length} documents`);
  }
  return { index, documents: corpus.length };
}

/** Scores already-encoded queries against an encoded corpus in each mode. */
export async function searchEncoded(
  corpus: EncodedCorpus,
  queries: readonly { id: string; vectors: TokenVectors }[],
  qrels: RetrievalDataset["qrels"],
  options: EvaluateOptions = {},
): Promise<Partial<Record<SearchMode, ModeResult>>> {
  const k = options.k ?? 100;
  const result: Partial<Record<SearchMode, ModeResult>> = {};
  for (const mode of options.modes ?? ["exact", "approximate"]) {
    const run = new Map<string, { id: string; score: number }[]>();
    const times: number[] = [];
    for (const q of queries) {
      throwIfAborted(options.signal);
      const t0 = performance.now();
      // "approximate" is the PLAID path itself (exact: false), not the planner's choice.
      const hits = mode === "exact" ? await corpus.index.searchExact(q.vectors, { k }) : await corpus.index.search(q.vectors, { k, exact: false });
      times.push(performance.now() - t0);
      run.set(q.id, hits);
    }
    result[mode] = { scores: evaluateRun(run, qrels).scores, latencyMs: summarise(times) };
  }
  return result;
}

/**
 * Evaluates one dataset: encodes the corpus and the queries once, then searches exactly and
 * approximately.
 *
 * @throws `DATASET_INVALID` for an empty corpus; `ABORTED` when `signal` fires.
 */
export async function evaluateDataset(
  encoder: EvalEncoder,
  dataset: RetrievalDataset,
  createIndex: (dim: number) => EvalIndex | Promise<EvalIndex>,
  options: EvaluateOptions = {},
): Promise<DatasetResult> {
  const corpus = await encodeCorpus(encoder, dataset.corpus, createIndex, options);
  try {
    const vectors = await encoder.encodeQueries(
      dataset.queries.map((q) => q.text),
      { batchSize: options.batchSize, signal: options.signal },
    );
    const queries = dataset.queries.map((q, i) => ({ id: q.id, vectors: vectors[i] as TokenVectors }));
    const modes = await searchEncoded(corpus, queries, dataset.qrels, options);
    return { dataset: dataset.name, queries: queries.length, documents: corpus.documents, modes };
  } finally {
    await corpus.index.close();
  }
}

function summarise(times: number[]): ModeResult["latencyMs"] {
  if (times.length === 0) return { p50: 0, p95: 0, mean: 0 };
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), mean: times.reduce((a, b) => a + b, 0) / times.length };
}
