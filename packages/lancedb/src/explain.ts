/**
 * Token-level explanations from stored vectors, as core's `Collection.explain` gives them:
 * scores from the vectors the collection stores (so they equal `query` scores), document token
 * ids from the tokenizer alone, spans recovered in the text; the document is re-encoded only when
 * the stored rows do not line up with the tokenizer's.
 */
import { buildExplanation, maxsimExplain } from "@maxsim/core";
import type { Encoder, Explanation, TokenEmbeddings, TokenVectors } from "@maxsim/core";

/** Explains `query` against one stored document. */
export async function explainStored(encoder: Encoder, query: string, id: string, text: string, stored: TokenVectors, pooled = false): Promise<Explanation> {
  const [q] = await encoder.encodeQueries([query]);
  return explainEncoded(encoder, q!, id, text, stored, pooled);
}

/**
 * Explains the already-encoded query `q` against one document's text and stored vectors: the
 * rows a search scored, so the explanation describes the version that was ranked.
 */
export async function explainEncoded(
  encoder: Encoder,
  q: TokenEmbeddings,
  id: string,
  text: string,
  stored: TokenVectors,
  pooled: boolean,
): Promise<Explanation> {
  const qv = { data: q.data, length: q.length, dim: q.dim };
  let docIds = encoder.outputTokenIds(text, "document");
  let raw;
  if (!pooled && stored.length === docIds.length) raw = maxsimExplain(qv, stored);
  else {
    const [d] = await encoder.encodeDocuments([text]);
    docIds = d!.tokenIds;
    raw = maxsimExplain(qv, { data: d!.data, length: d!.length, dim: d!.dim });
  }
  return buildExplanation(id, raw, encoder, q.tokenIds, docIds, text);
}
