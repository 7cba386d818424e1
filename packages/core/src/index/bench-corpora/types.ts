/** Types of the bench corpus family. */
import type { FlatTokens } from "../../scoring/flat-tokens.js";
import type { TokenVectors } from "../../types.js";

/** Size and seed of a generated corpus. */
export interface BenchCorpusOptions {
  docs: number;
  /** @defaultValue 128 */
  dim?: number;
  /** @defaultValue 42 */
  seed?: number;
}

/** A generated corpus: flat tokens (unit rows), ids, and held-out queries drawn from it. */
export interface BenchCorpus extends FlatTokens {
  ids: string[];
  /** Document `i` as a {@link TokenVectors} view. */
  doc(i: number): TokenVectors;
  /** `count` queries of `length` tokens (default 32), deterministic for a `seed`. */
  queries(count: number, length?: number, seed?: number): TokenVectors[];
}
