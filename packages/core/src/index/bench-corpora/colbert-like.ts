/**
 * A configurable generator of corpora shaped the way real ColBERT output is, as opposed to
 * `../synthetic.ts` (uniform concepts, isotropic noise): a Zipfian vocabulary, anisotropic
 * vectors (every token shares a common component, as contextual embeddings do), topic structure
 * (documents draw half their words from their topic's vocabulary and carry a topic component),
 * contextual noise whose size varies by word (function words move little, content words more),
 * optional near-duplicate documents and per-"language" variants of each word. Queries are a few
 * real tokens taken from one document's words (re-rendered with fresh context) followed by
 * expansion-like tokens near the query's mean, as ColBERT's [MASK] expansion produces.
 */
import type { TokenVectors } from "../../types.js";
import { gaussian, seededRandom } from "../synthetic.js";
import type { BenchCorpus, BenchCorpusOptions } from "./types.js";

/** The knobs of {@link colbertLikeCorpus}; each family in `families.ts` is one setting. */
export interface ColbertLikeProfile {
  /** Distinct words. */
  vocab: number;
  /** Zipf exponent of word frequencies (1 ≈ natural text). */
  zipf: number;
  /** Number of topics; each owns a slice of the vocabulary. */
  topics: number;
  /** Share of a document's tokens drawn from its topic's words (the rest from the whole vocabulary). */
  topicShare: number;
  /** Weight of the component every token shares (anisotropy). */
  anisotropy: number;
  /** Weight of the document's topic component in each of its tokens. */
  topicContext: number;
  /** Range of the per-word contextual noise norm (relative to the unit word vector). */
  noise: [number, number];
  /** Document length range in tokens, inclusive. */
  docLength: [number, number];
  /** Languages: each word has one differently perturbed vector per language. @defaultValue 1 */
  languages?: number;
  /** Norm of the per-language perturbation of a word. @defaultValue 0 */
  languageShift?: number;
  /** Share of documents that are near-copies of an earlier one. @defaultValue 0 */
  duplicates?: number;
  /** Share of a near-copy's words replaced by others of its topic. @defaultValue 0.1 */
  duplicateEdits?: number;
  /** Real (non-expansion) query tokens, inclusive range. @defaultValue [4, 12] */
  queryTokens?: [number, number];
}

/** Ids as every bench corpus names them. */
export function corpusIds(docs: number): string[] {
  return Array.from({ length: docs }, (_, i) => `doc-${String(i).padStart(6, "0")}`);
}

/**
 * A deterministic ColBERT-shaped corpus for `profile`; see the module comment.
 *
 * @example
 * ```ts
 * import { colbertLikeCorpus } from "@maxsim/core/bench-corpora";
 * const corpus = colbertLikeCorpus(
 *   { vocab: 500, zipf: 1, topics: 10, topicShare: 0.5, anisotropy: 0.6, topicContext: 0.3, noise: [0.2, 0.8], docLength: [8, 8] },
 *   { docs: 20, dim: 16, seed: 1 },
 * );
 * console.log(corpus.offsets[20], corpus.queries(1)[0]!.length); // 160 32
 * ```
 */
export function colbertLikeCorpus(profile: ColbertLikeProfile, options: BenchCorpusOptions): BenchCorpus {
  const dim = options.dim ?? 128;
  const docs = options.docs;
  const random = seededRandom(options.seed ?? 42);
  const normal = gaussian(random);
  const languages = Math.max(1, profile.languages ?? 1);
  const V = profile.vocab;
  // Word vectors per language: a base direction, perturbed differently in each language.
  const base = new Float32Array(V * dim);
  for (let w = 0; w < V; w++) unit(base, w * dim, dim, normal);
  const words = new Float32Array(V * languages * dim);
  const shift = profile.languageShift ?? 0;
  for (let l = 0; l < languages; l++) {
    for (let w = 0; w < V; w++) {
      const at = (l * V + w) * dim;
      for (let d = 0; d < dim; d++) words[at + d] = base[w * dim + d]! + (l === 0 && languages === 1 ? 0 : (shift * normal()) / Math.sqrt(dim));
      normalizeAt(words, at, dim);
    }
  }
  const common = new Float32Array(dim);
  unit(common, 0, dim, normal);
  const topicVecs = new Float32Array(profile.topics * dim);
  for (let t = 0; t < profile.topics; t++) unit(topicVecs, t * dim, dim, normal);
  // Frequent words are function-like: less contextual noise; rare content words get more.
  const [nLo, nHi] = profile.noise;
  const wordNoise = Float32Array.from({ length: V }, (_, w) => nLo + (nHi - nLo) * Math.min(1, Math.log1p(w) / Math.log1p(V)) * (0.75 + 0.5 * random()));
  const global = zipfSampler(V, profile.zipf, random);
  // Each topic owns a random slice of the vocabulary, Zipf-distributed within it.
  const perTopic = Math.max(8, Math.floor((2 * V) / profile.topics));
  const topicWords: Int32Array[] = [];
  for (let t = 0; t < profile.topics; t++) topicWords.push(Int32Array.from({ length: perTopic }, () => Math.floor(random() * V)));
  const inTopic = zipfSampler(perTopic, profile.zipf, random);
  const drawWord = (topic: number): number => (random() < profile.topicShare ? topicWords[topic]![inTopic()]! : global());

  const [minLen, maxLen] = profile.docLength;
  const docTopic = new Int32Array(docs);
  const docLang = new Int32Array(docs);
  const docWords: Int32Array[] = [];
  const docSource = new Int32Array(docs).fill(-1);
  const dupShare = profile.duplicates ?? 0;
  const edits = profile.duplicateEdits ?? 0.1;
  for (let i = 0; i < docs; i++) {
    if (i > 0 && random() < dupShare) {
      // A near-copy: an earlier document's words with a few replaced (and its topic and language).
      const src = Math.floor(random() * i);
      docSource[i] = src;
      docTopic[i] = docTopic[src]!;
      docLang[i] = docLang[src]!;
      docWords.push(docWords[src]!.map((w) => (random() < edits ? drawWord(docTopic[i]!) : w)));
      continue;
    }
    docTopic[i] = Math.floor(random() * profile.topics);
    docLang[i] = Math.floor(random() * languages);
    const n = minLen + Math.floor(random() * (maxLen - minLen + 1));
    docWords.push(Int32Array.from({ length: n }, () => drawWord(docTopic[i]!)));
  }
  const offsets = new Int32Array(docs + 1);
  for (let i = 0; i < docs; i++) offsets[i + 1] = offsets[i]! + docWords[i]!.length;
  const data = new Float32Array(offsets[docs]! * dim);
  const render = (out: Float32Array, at: number, word: number, lang: number, topic: number, gauss: () => number): void => {
    const w = (lang * V + word) * dim;
    const t = topic * dim;
    const s = wordNoise[word]! / Math.sqrt(dim);
    for (let d = 0; d < dim; d++) {
      out[at + d] = profile.anisotropy * common[d]! + words[w + d]! + profile.topicContext * topicVecs[t + d]! + s * gauss();
    }
    normalizeAt(out, at, dim);
  };
  for (let i = 0; i < docs; i++) {
    const ws = docWords[i]!;
    const src = docSource[i]!;
    for (let j = 0; j < ws.length; j++) {
      const at = (offsets[i]! + j) * dim;
      if (src >= 0 && docWords[src]![j] === ws[j]) {
        // A near-copy keeps the source token (same text, same context), barely perturbed.
        const from = (offsets[src]! + j) * dim;
        for (let d = 0; d < dim; d++) data[at + d] = data[from + d]! + (0.05 * normal()) / Math.sqrt(dim);
        normalizeAt(data, at, dim);
      } else render(data, at, ws[j]!, docLang[i]!, docTopic[i]!, normal);
    }
  }
  const [qMin, qMax] = profile.queryTokens ?? [4, 12];
  return {
    data,
    offsets,
    dim,
    ids: corpusIds(docs),
    doc: (i) => ({ data: data.subarray(offsets[i]! * dim, offsets[i + 1]! * dim), length: offsets[i + 1]! - offsets[i]!, dim }),
    queries(count, length = 32, seed = 7) {
      const qr = seededRandom(seed);
      const qn = gaussian(qr);
      const out: TokenVectors[] = [];
      for (let q = 0; q < count; q++) {
        const target = Math.floor(qr() * docs);
        const ws = docWords[target]!;
        const topic = docTopic[target]!;
        // Cross-lingual when there are languages: the query's language is drawn independently.
        const lang = Math.floor(qr() * languages);
        const real = Math.min(length, qMin + Math.floor(qr() * (qMax - qMin + 1)));
        const qd = new Float32Array(length * dim);
        for (let t = 0; t < real; t++) {
          const word = qr() < 0.8 ? ws[Math.floor(qr() * ws.length)]! : topicWords[topic]![Math.floor(qr() * perTopic)]!;
          render(qd, t * dim, word, lang, topic, qn);
        }
        // Expansion tokens: near the mean of the real tokens, each slightly different.
        const mean = new Float32Array(dim);
        for (let t = 0; t < real; t++) for (let d = 0; d < dim; d++) mean[d]! += qd[t * dim + d]!;
        normalizeAt(mean, 0, dim);
        for (let t = real; t < length; t++) {
          for (let d = 0; d < dim; d++) qd[t * dim + d] = mean[d]! + (0.35 * qn()) / Math.sqrt(dim);
          normalizeAt(qd, t * dim, dim);
        }
        out.push({ data: qd, length, dim });
      }
      return out;
    },
  };
}

/** Samples 0..n−1 with probability ∝ 1/(i+1)^s. */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cumulative[i] = acc += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cumulative[i]! /= acc;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function unit(out: Float32Array, at: number, dim: number, normal: () => number): void {
  for (let d = 0; d < dim; d++) out[at + d] = normal();
  normalizeAt(out, at, dim);
}

function normalizeAt(out: Float32Array, at: number, dim: number): void {
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += out[at + d]! * out[at + d]!;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < dim; d++) out[at + d]! *= inv;
}
