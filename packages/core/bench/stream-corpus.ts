/**
 * A synthetic ColBERT-like corpus generated as a stream: document `i` is a pure function of
 * (seed, i), so a million documents never exist in memory at once, and the ground truth can
 * re-stream the same documents. Same shape as `syntheticCorpus` (unit tokens clustered around
 * Zipf-popular concepts, a few concepts per document, queries from one document's concepts), with
 * the family knobs (`noise`, `concepts`, `conceptsPerDoc`) so the bench runs on more than one data
 * distribution.
 *
 * Noise is most of the work (dim values per token, a million documents streamed twice at
 * `--docs 1000000`): each value is a draw from a fixed table of 65,536 standard normal samples,
 * indexed by 16 bits of a 32-bit generator (two values per draw), instead of a Box–Muller pair of
 * log/sqrt/cos per two values through closures. Values stay independent with a normal marginal
 * (|z| up to ≈ 4.4), so the data is as hard as before. Measured: 10k documents of 64 tokens at
 * dim 128 took 3.9 s of CPU before, 0.6 s now (the bench prints the generation time per phase).
 */
import { gaussian, seededRandom, seededUint32 } from "../src/index/synthetic.js";
import type { TokenVectors } from "../src/types.js";

export interface StreamCorpusOptions {
  dim: number;
  /** Tokens per document, inclusive range. */
  docLength: [number, number];
  concepts: number;
  conceptsPerDoc: number;
  noise: number;
  seed: number;
}

export interface StreamCorpus {
  readonly options: StreamCorpusOptions;
  id(i: number): string;
  /** Documents `[from, to)`: their ids and token vectors in one flat buffer. */
  batch(from: number, to: number): { ids: string[]; data: Float32Array; offsets: Int32Array };
  /** `count` queries of `length` tokens, each from the concepts of a random document below `docs`. */
  queries(count: number, docs: number, length?: number, seed?: number): TokenVectors[];
}

export function streamCorpus(options: StreamCorpusOptions): StreamCorpus {
  const { dim, concepts: nConcepts, conceptsPerDoc: perDoc, noise, seed } = options;
  const [minLen, maxLen] = options.docLength;
  const normal = gaussian(seededRandom(seed));
  const concepts = new Float32Array(nConcepts * dim);
  for (let c = 0; c < nConcepts; c++) unitInto(concepts, c * dim, dim, (d) => (concepts[c * dim + d] = normal()));
  const cumulative = new Float64Array(nConcepts);
  let total = 0;
  for (let c = 0; c < nConcepts; c++) total += 1 / (c + 1) ** 0.7;
  let acc = 0;
  for (let c = 0; c < nConcepts; c++) cumulative[c] = acc += 1 / (c + 1) ** 0.7 / total;
  const pick = (u: number): number => {
    let lo = 0;
    let hi = nConcepts - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const docRandom = (i: number) => seededRandom((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
  const docConcepts = (random: () => number) => Int32Array.from({ length: perDoc }, () => pick(random()));
  const scale = noise / Math.sqrt(dim);
  const normals = new Float32Array(1 << 16);
  const tableNormal = gaussian(seededRandom(seed ^ 0x5bd1e995));
  for (let j = 0; j < normals.length; j++) normals[j] = tableNormal();
  // Concept `c` plus noise, L2-normalised, into `out` at `at`; `next` gives 32 random bits (two noise values).
  const token = (out: Float32Array, at: number, c: number, next: () => number) => {
    const base = c * dim;
    let norm = 0;
    for (let d = 0; d < dim; d += 2) {
      const bits = next();
      const x = concepts[base + d]! + normals[bits & 0xffff]! * scale;
      out[at + d] = x;
      norm += x * x;
      if (d + 1 === dim) break;
      const y = concepts[base + d + 1]! + normals[bits >>> 16]! * scale;
      out[at + d + 1] = y;
      norm += y * y;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[at + d]! *= inv;
  };
  const id = (i: number) => `doc-${String(i).padStart(7, "0")}`;
  return {
    options,
    id,
    batch(from, to) {
      const ids: string[] = [];
      const offsets = new Int32Array(to - from + 1);
      const lengths: number[] = [];
      const randoms: (() => number)[] = [];
      for (let i = from; i < to; i++) {
        const r = docRandom(i);
        const len = minLen + Math.floor(r() * (maxLen - minLen + 1));
        randoms.push(r);
        lengths.push(len);
        offsets[i - from + 1] = offsets[i - from]! + len;
        ids.push(id(i));
      }
      const data = new Float32Array(offsets[to - from]! * dim);
      for (let j = 0; j < to - from; j++) {
        const r = randoms[j]!;
        const own = docConcepts(r);
        const n = seededUint32(Math.floor(r() * 4294967296));
        for (let t = offsets[j]!; t < offsets[j + 1]!; t++) token(data, t * dim, own[Math.floor(r() * perDoc)]!, n);
      }
      return { ids, data, offsets };
    },
    queries(count, docs, length = 32, qseed = 7) {
      const qr = seededRandom(qseed);
      const qn = seededUint32(Math.floor(qr() * 4294967296));
      const out: TokenVectors[] = [];
      for (let q = 0; q < count; q++) {
        const r = docRandom(Math.floor(qr() * docs));
        r(); // the length draw
        const own = docConcepts(r);
        const data = new Float32Array(length * dim);
        // Mostly the document's concepts, some off-topic tokens (as query expansion tokens are).
        for (let t = 0; t < length; t++) token(data, t * dim, qr() < 0.8 ? own[Math.floor(qr() * perDoc)]! : Math.floor(qr() * nConcepts), qn);
        out.push({ data, length, dim });
      }
      return out;
    },
  };
}

/** Fills `dim` values at `at` with `fill(d)`, then L2-normalises them. */
function unitInto(out: Float32Array, at: number, dim: number, fill: (d: number) => void): void {
  for (let d = 0; d < dim; d++) fill(d);
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += out[at + d]! * out[at + d]!;
  const inv = 1 / Math.sqrt(norm);
  for (let d = 0; d < dim; d++) out[at + d]! *= inv;
}
