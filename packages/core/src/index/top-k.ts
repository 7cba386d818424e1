/** Top-k selection with the index's ordering: score descending, ties by id ascending. */
import type { SearchHit } from "./types.js";

/** An id and its raw score (what top-k selection orders). */
export type ScoredId = Pick<SearchHit, "id" | "score">;

/**
 * Compares hits: best first, ties broken by id (code-unit order, as `<` on strings).
 *
 * @example
 * ```ts
 * import { compareHits } from "@maxsim/core";
 * const hits = [{ id: "b", score: 1 }, { id: "c", score: 2 }, { id: "a", score: 1 }].sort(compareHits);
 * console.log(hits.map((h) => h.id).join(",")); // c,a,b
 * ```
 */
export function compareHits(a: ScoredId, b: ScoredId): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Collects the best `k` of `(score, id)` pairs fed one by one. Keeps a sorted buffer, so it is
 * linear in the input for the small `k` of retrieval and falls back to a full sort for large `k`.
 */
export class TopK {
  private readonly hits: ScoredId[] = [];
  constructor(private readonly k: number) {}

  push(id: string, score: number): void {
    const hits = this.hits;
    if (hits.length === this.k) {
      const worst = hits[hits.length - 1]!;
      if (score < worst.score || (score === worst.score && id > worst.id)) return;
    }
    const hit = { id, score };
    let i = hits.length;
    hits.push(hit);
    while (i > 0 && compareHits(hits[i - 1]!, hit) > 0) {
      hits[i] = hits[i - 1]!;
      i--;
    }
    hits[i] = hit;
    if (hits.length > this.k) hits.pop();
  }

  result(): ScoredId[] {
    return this.hits;
  }
}

/** Hits with their {@link SearchHit.normalizedScore} for a query of `queryTokens` tokens. */
export function withNormalizedScores(hits: readonly ScoredId[], queryTokens: number): SearchHit[] {
  const m = Math.max(1, queryTokens);
  return hits.map((h) => ({ id: h.id, score: h.score, normalizedScore: h.score / m }));
}
