/** Turns raw per-query-token MaxSim matches into an {@link Explanation}: token strings and document spans. */
import type { Encoder } from "../encoder/types.js";
import { alignTokens } from "./spans.js";
import type { Explanation } from "./types.js";

/**
 * Builds the {@link Explanation} of one hit from `maxsimExplain`-style matches, shared by
 * `Collection.explain` and other engines behind `RetrievalCollection` (e.g. `@maxsim/lancedb`).
 *
 * @param id - the document id
 * @param raw - one `{ queryIndex, docIndex, score }` per query token
 * @param encoder - gives readable token strings
 * @param queryIds - the query's output token ids
 * @param docIds - the document's output token ids (the rows `raw` indexes)
 * @param text - the document text, for character spans
 * @example
 * ```ts
 * import { buildExplanation } from "@maxsim/core";
 * const encoder = { tokenStrings: (ids: Int32Array) => [...ids].map((i) => ["chat", "le", "dort"][i]!) };
 * const e = buildExplanation("d", [{ queryIndex: 0, docIndex: 1, score: 0.9 }], encoder, Int32Array.of(0), Int32Array.of(1, 0, 2), "le chat dort");
 * console.log(JSON.stringify(e)); // {"id":"d","score":0.9,"matches":[{"queryIndex":0,"queryToken":"chat","docIndex":1,"docToken":"chat","score":0.9,"span":[3,7]}]}
 * ```
 */
export function buildExplanation(
  id: string,
  raw: readonly { queryIndex: number; docIndex: number; score: number }[],
  encoder: Pick<Encoder, "tokenStrings">,
  queryIds: Int32Array,
  docIds: Int32Array,
  text: string,
): Explanation {
  const qTokens = encoder.tokenStrings(queryIds);
  const dTokens = encoder.tokenStrings(docIds);
  const spans = alignTokens(text, dTokens);
  let score = 0;
  const matches = raw.map((m) => {
    score += m.score;
    return {
      queryIndex: m.queryIndex,
      queryToken: qTokens[m.queryIndex] ?? "",
      docIndex: m.docIndex,
      docToken: dTokens[m.docIndex] ?? "",
      score: m.score,
      span: spans[m.docIndex] ?? null,
    };
  });
  return { id, score, matches };
}
