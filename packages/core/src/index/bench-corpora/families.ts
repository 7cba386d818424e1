/**
 * The bench corpus family: corpora that differ the way real ColBERT output differs, so search
 * defaults are tuned on none of them in particular. Pick one by name through {@link BENCH_FAMILIES}.
 */
import { MaxsimError } from "../../errors.js";
import { syntheticCorpus } from "../synthetic.js";
import { colbertLikeCorpus, type ColbertLikeProfile } from "./colbert-like.js";
import type { BenchCorpus, BenchCorpusOptions } from "./types.js";

/** Names of the bench corpora. */
export type BenchFamily = "concepts" | "zipfian" | "near-duplicates" | "long" | "short" | "multilingual";

/** The base of the ColBERT-shaped families: Zipfian vocabulary, anisotropy, topics, word-dependent noise. */
const ZIPFIAN: ColbertLikeProfile = {
  vocab: 30000,
  zipf: 1,
  topics: 200,
  topicShare: 0.5,
  anisotropy: 0.6,
  topicContext: 0.35,
  noise: [0.25, 0.9],
  docLength: [24, 72],
};

/** Generators by family name. */
export const BENCH_FAMILIES: Readonly<Record<BenchFamily, (options: BenchCorpusOptions) => BenchCorpus>> = {
  /** The original mix: uniform concepts with isotropic noise (`syntheticCorpus`). */
  concepts: (o) => syntheticCorpus({ docs: o.docs, dim: o.dim, seed: o.seed ?? 42 }),
  /** Zipfian vocabulary, a shared component, topics, noise that varies by word; expansion-like query tails. */
  zipfian: (o) => colbertLikeCorpus(ZIPFIAN, o),
  /** Half the documents are near-copies of earlier ones (10% of words changed): many near-ties. */
  "near-duplicates": (o) => colbertLikeCorpus({ ...ZIPFIAN, duplicates: 0.5, duplicateEdits: 0.1 }, o),
  /** Long documents (256–512 tokens): many tokens per candidate, centroids shared by many docs. */
  long: (o) => colbertLikeCorpus({ ...ZIPFIAN, docLength: [256, 512] }, o),
  /** Short documents (4–16 tokens): few tokens, few centroids per document. */
  short: (o) => colbertLikeCorpus({ ...ZIPFIAN, docLength: [4, 16] }, o),
  /** Five "languages": each word has a differently perturbed vector per language; queries cross languages. */
  multilingual: (o) => colbertLikeCorpus({ ...ZIPFIAN, languages: 5, languageShift: 0.7 }, o),
};

/** Every family name, in bench order. */
export const BENCH_FAMILY_NAMES = Object.keys(BENCH_FAMILIES) as BenchFamily[];

/**
 * A corpus of the named family.
 *
 * @example
 * ```ts
 * import { benchCorpus } from "@maxsim/core/bench-corpora";
 * const corpus = benchCorpus("short", { docs: 50, dim: 16, seed: 3 });
 * console.log(corpus.ids.length, corpus.offsets[1]! <= 16, corpus.queries(2, 32, 1).length); // 50 true 2
 * ```
 */
export function benchCorpus(family: BenchFamily, options: BenchCorpusOptions): BenchCorpus {
  const make = BENCH_FAMILIES[family];
  if (make === undefined)
    throw new MaxsimError("INVALID_OPTION", `Unknown bench corpus family ${JSON.stringify(family)}. Use one of ${BENCH_FAMILY_NAMES.join(", ")}.`);
  return make(options);
}
