/**
 * The cross-lingual matrix: every (query language × document language) pair of XQuAD, the view
 * the LFM2-ColBERT model card reports. Each corpus language is encoded once and each query
 * language once, then every pair is searched, so a 5×5 matrix costs 5 corpus + 5 query encodings.
 */
import { throwIfAborted } from "../errors.js";
import type { TokenVectors } from "../types.js";
import { searchEncoded, encodeCorpus, type EvalEncoder, type EvalIndex, type EvaluateOptions, type ModeResult, type SearchMode } from "./evaluate.js";
import { heatmapSvg } from "./heatmap-svg.js";
import { loadXquadLanguage, xquadPair, type XquadLanguage } from "./loaders/xquad.js";
import { METRIC_NAMES, type MetricScores } from "./metrics.js";
import { formatTable } from "./table.js";

/** The default languages: the model's own that XQuAD also has. */
export const DEFAULT_MATRIX_LANGUAGES = ["ar", "de", "en", "es", "zh"] as const;

/** One cell of the matrix. */
export interface MatrixCell {
  queryLang: string;
  docLang: string;
  modes: Partial<Record<SearchMode, ModeResult>>;
}

/** The whole matrix, JSON-serialisable. */
export interface CrossLingualMatrix {
  model: string;
  dataset: "xquad";
  languages: string[];
  queriesPerLanguage: number;
  documentsPerLanguage: number;
  cells: MatrixCell[];
}

/** Options for {@link crossLingualMatrix}. */
export interface MatrixOptions extends EvaluateOptions {
  /** @defaultValue {@link DEFAULT_MATRIX_LANGUAGES} */
  languages?: readonly string[];
  /** Use only the first N questions of each language (quick runs). */
  maxQueries?: number;
}

/**
 * Builds the XQuAD cross-lingual matrix for `encoder`.
 *
 * @throws `DATASET_INVALID` when an `xquad.<lang>.json` is missing under `xquadDir`.
 */
export async function crossLingualMatrix(
  encoder: EvalEncoder,
  xquadDir: string,
  createIndex: (dim: number) => EvalIndex | Promise<EvalIndex>,
  options: MatrixOptions = {},
): Promise<CrossLingualMatrix> {
  const languages = [...(options.languages ?? DEFAULT_MATRIX_LANGUAGES)];
  const data = new Map<string, XquadLanguage>();
  for (const lang of languages) {
    const loaded = await loadXquadLanguage(xquadDir, lang);
    if (options.maxQueries !== undefined) loaded.questions = loaded.questions.slice(0, options.maxQueries);
    data.set(lang, loaded);
  }
  const queryVectors = new Map<string, { id: string; vectors: TokenVectors }[]>();
  for (const lang of languages) {
    throwIfAborted(options.signal);
    const qs = data.get(lang)!.questions;
    const vectors = await encoder.encodeQueries(
      qs.map((q) => q.text),
      { batchSize: options.batchSize, signal: options.signal },
    );
    queryVectors.set(
      lang,
      qs.map((q, i) => ({ id: q.id, vectors: vectors[i] as TokenVectors })),
    );
    options.onProgress?.(`encoded ${qs.length} ${lang} queries`);
  }
  const cells: MatrixCell[] = [];
  for (const docLang of languages) {
    const docs = data.get(docLang)!;
    const corpus = await encodeCorpus(encoder, docs.paragraphs, createIndex, options);
    try {
      for (const queryLang of languages) {
        const task = xquadPair(data.get(queryLang)!, docs, { queryLang, docLang });
        const modes = await searchEncoded(corpus, queryVectors.get(queryLang)!, task.qrels, options);
        cells.push({ queryLang, docLang, modes });
        options.onProgress?.(`${queryLang}→${docLang}: ndcg@10 ${(modes.exact ?? modes.approximate)?.scores["ndcg@10"].toFixed(3)}`);
      }
    } finally {
      await corpus.index.close();
    }
  }
  const first = data.get(languages[0]!)!;
  return {
    model: encoder.modelId,
    dataset: "xquad",
    languages,
    queriesPerLanguage: first.questions.length,
    documentsPerLanguage: first.paragraphs.length,
    cells,
  };
}

/** The matrix of one metric and mode as rows (query language) × columns (document language). */
export function matrixValues(matrix: CrossLingualMatrix, metric: keyof MetricScores = "ndcg@10", mode: SearchMode = "exact"): number[][] {
  return matrix.languages.map((q) =>
    matrix.languages.map((d) => matrix.cells.find((c) => c.queryLang === q && c.docLang === d)?.modes[mode]?.scores[metric] ?? Number.NaN),
  );
}

/** A terminal table of one metric (rows: query language, columns: document language). */
export function matrixTable(matrix: CrossLingualMatrix, metric: keyof MetricScores = "ndcg@10", mode: SearchMode = "exact"): string {
  const values = matrixValues(matrix, metric, mode);
  return formatTable(
    [`${metric} q\\d`, ...matrix.languages],
    matrix.languages.map((q, r) => [q, ...values[r]!.map((v) => (Number.isFinite(v) ? v.toFixed(3) : "–"))]),
  );
}

/** The matrix as an SVG heatmap. */
export function matrixSvg(matrix: CrossLingualMatrix, metric: keyof MetricScores = "ndcg@10", mode: SearchMode = "exact"): string {
  return heatmapSvg({
    title: `XQuAD ${metric} (${mode}) — ${matrix.model}`,
    rows: matrix.languages,
    columns: matrix.languages,
    values: matrixValues(matrix, metric, mode),
    rowAxis: "query language",
    columnAxis: "document language",
  });
}

/** Exact vs approximate summary (mean over cells) for the report. */
export function modeSummary(matrix: CrossLingualMatrix): string {
  const rows: string[][] = [];
  for (const mode of ["exact", "approximate"] as const) {
    const cells = matrix.cells.map((c) => c.modes[mode]).filter((m): m is ModeResult => m !== undefined);
    if (cells.length === 0) continue;
    const mean = (f: (m: ModeResult) => number) => cells.reduce((a, m) => a + f(m), 0) / cells.length;
    rows.push([
      mode,
      ...METRIC_NAMES.map((n) => mean((m) => m.scores[n]).toFixed(3)),
      mean((m) => m.latencyMs.p50).toFixed(2),
      mean((m) => m.latencyMs.p95).toFixed(2),
    ]);
  }
  return formatTable(["mode", ...METRIC_NAMES, "p50 ms", "p95 ms"], rows);
}
