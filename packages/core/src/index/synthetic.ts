/**
 * Deterministic synthetic data shaped like ColBERT output, for the index tests and benches:
 * unit-norm token vectors that cluster around a vocabulary of "concepts" (as real ColBERT tokens
 * cluster around token types and topics), documents that mix a handful of concepts, and queries
 * drawn from a document's concepts so the true top results are meaningful rather than noise.
 */
import type { TokenVectors } from "../types.js";
import type { FlatTokens } from "../scoring/flat-tokens.js";

/** The 32-bit draws of mulberry32, the generator behind {@link seededRandom}. */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A small seeded PRNG (mulberry32): same seed, same stream, on every platform. */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}

/** Standard normal samples from a uniform source (Box-Muller). */
export function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Options for {@link syntheticCorpus}. */
export interface SyntheticOptions {
  docs: number;
  dim?: number;
  /** Token count range per document, inclusive. @defaultValue [24, 72] */
  docLength?: [number, number];
  /** Number of concepts tokens cluster around. @defaultValue 2048 */
  concepts?: number;
  /** Concepts per document. @defaultValue 6 */
  conceptsPerDoc?: number;
  /** Noise norm relative to the concept (cosine to its concept ≈ 1/sqrt(1+noise²)). @defaultValue 0.6 */
  noise?: number;
  seed?: number;
}

/** Output of {@link syntheticCorpus}. */
export interface SyntheticCorpus extends FlatTokens {
  ids: string[];
  /** Draws `count` queries of `length` tokens, each from a random document's concepts. */
  queries(count: number, length?: number, seed?: number): TokenVectors[];
  /** Document `i` as a {@link TokenVectors} view. */
  doc(i: number): TokenVectors;
}

/**
 * A deterministic clustered corpus.
 *
 * @example
 * ```ts
 * import { syntheticCorpus } from "@maxsim/core";
 * const corpus = syntheticCorpus({ docs: 100, seed: 1 });
 * console.log(corpus.offsets.length, corpus.ids[0], corpus.queries(2)[0]!.length); // 101 doc-000000 32
 * ```
 */
export function syntheticCorpus(options: SyntheticOptions): SyntheticCorpus {
  const dim = options.dim ?? 128;
  const [minLen, maxLen] = options.docLength ?? [24, 72];
  const nConcepts = options.concepts ?? 2048;
  const perDoc = options.conceptsPerDoc ?? 6;
  const noise = options.noise ?? 0.6;
  const random = seededRandom(options.seed ?? 42);
  const normal = gaussian(random);
  const concepts = new Float32Array(nConcepts * dim);
  for (let c = 0; c < nConcepts; c++) randomUnit(concepts, c * dim, dim, normal);
  // Zipf-like concept popularity, as token frequencies in real text.
  const weights = new Float64Array(nConcepts);
  let total = 0;
  for (let c = 0; c < nConcepts; c++) total += weights[c] = 1 / Math.pow(c + 1, 0.7);
  const cumulative = new Float64Array(nConcepts);
  let acc = 0;
  for (let c = 0; c < nConcepts; c++) cumulative[c] = acc += weights[c]! / total;
  const pick = (): number => {
    const u = random();
    let lo = 0;
    let hi = nConcepts - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const lengths = new Int32Array(options.docs);
  for (let i = 0; i < options.docs; i++) lengths[i] = minLen + Math.floor(random() * (maxLen - minLen + 1));
  const offsets = new Int32Array(options.docs + 1);
  for (let i = 0; i < options.docs; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
  const data = new Float32Array(offsets[options.docs]! * dim);
  const docConcepts: Int32Array[] = [];
  for (let i = 0; i < options.docs; i++) {
    const own = Int32Array.from({ length: perDoc }, pick);
    docConcepts.push(own);
    for (let t = offsets[i]!; t < offsets[i + 1]!; t++) {
      noisyToken(data, t * dim, concepts, own[Math.floor(random() * perDoc)]!, dim, noise, normal);
    }
  }
  const ids = Array.from({ length: options.docs }, (_, i) => `doc-${String(i).padStart(6, "0")}`);
  return {
    data,
    offsets,
    dim,
    ids,
    doc: (i) => ({ data: data.subarray(offsets[i]! * dim, offsets[i + 1]! * dim), length: lengths[i]!, dim }),
    queries(count, length = 32, seed = 7) {
      const qr = seededRandom(seed);
      const qn = gaussian(qr);
      const out: TokenVectors[] = [];
      for (let q = 0; q < count; q++) {
        const own = docConcepts[Math.floor(qr() * options.docs)]!;
        const qd = new Float32Array(length * dim);
        // Mostly the document's concepts, some off-topic tokens (as query expansion tokens are).
        for (let t = 0; t < length; t++) {
          const c = qr() < 0.8 ? own[Math.floor(qr() * own.length)]! : Math.floor(qr() * nConcepts);
          noisyToken(qd, t * dim, concepts, c, dim, noise, qn);
        }
        out.push({ data: qd, length, dim });
      }
      return out;
    },
  };
}

function randomUnit(out: Float32Array, at: number, dim: number, normal: () => number): void {
  let norm = 0;
  for (let d = 0; d < dim; d++) {
    const v = normal();
    out[at + d] = v;
    norm += v * v;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let d = 0; d < dim; d++) out[at + d]! *= inv;
}

function noisyToken(out: Float32Array, at: number, concepts: Float32Array, c: number, dim: number, noise: number, normal: () => number): void {
  const scale = noise / Math.sqrt(dim);
  let norm = 0;
  for (let d = 0; d < dim; d++) {
    const v = concepts[c * dim + d]! + normal() * scale;
    out[at + d] = v;
    norm += v * v;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let d = 0; d < dim; d++) out[at + d]! *= inv;
}
