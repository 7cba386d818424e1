/**
 * Explanations of a collection: which stored document token each query token matched, with its
 * score and character span, scored from the stored vectors in one pinned snapshot. Query
 * encodings are shared by the explanations of one result list.
 */
import type { Encoder } from "../encoder/types.js";
import type { IndexSnapshot } from "../index/types.js";
import { maxsimExplain } from "../scoring/maxsim.js";
import type { TokenEmbeddings } from "../types.js";
import { validate } from "../validation/parse.js";
import { queryTextSchema } from "../validation/schemas.js";
import { z } from "zod";
import { type CollectionCore, notFound, payloadOf, vectors } from "./collection-documents.js";
import { buildExplanation } from "./explanation.js";
import type { Explanation } from "./types.js";

/**
 * The query encodings shared by the explanations of one result list (callers explain every hit
 * of a query, often concurrently); a few recent queries are kept.
 */
export class RecentQueries {
  readonly #encoder: Encoder;
  readonly #recent = new Map<string, Promise<TokenEmbeddings>>();

  constructor(encoder: Encoder) {
    this.#encoder = encoder;
  }

  /** The encoding of `query`, shared with recent calls for the same text. */
  encode(query: string): Promise<TokenEmbeddings> {
    let p = this.#recent.get(query);
    if (p === undefined) {
      p = this.#encoder.encodeQueries([query]).then((r) => r[0]!);
      p.catch(() => this.#recent.delete(query));
      this.#recent.set(query, p);
      if (this.#recent.size > 8) this.#recent.delete(this.#recent.keys().next().value as string);
    }
    return p;
  }
}

/** How the document `id` matches `query`, token by token. */
export async function explain(core: CollectionCore, queries: RecentQueries, query: string, id: string): Promise<Explanation> {
  validate(queryTextSchema, query, {
    where: "Collection.explain",
    name: "query",
    code: "INVALID_INPUT",
    fix: 'Pass the query text and a stored id, e.g. explain("cat", "doc-1").',
  });
  validate(z.string({ error: "must be a document id (a string)" }), id, {
    where: "Collection.explain",
    name: "id",
    code: "INVALID_INPUT",
    fix: 'Pass the query text and a stored id, e.g. explain("cat", "doc-1").',
  });
  if (!payloadOf(core.index.getPayload(id))) throw notFound(id);
  const q = await queries.encode(query);
  // The payload, the stored rows and the match scores from one snapshot (after the encoding).
  return core.index.pin((snapshot) => explainIn(core, snapshot, q, id));
}

/**
 * How document `id` of `snapshot` matches the already-encoded query `q`: the snapshot a search
 * found the hit in, so the explanation describes the version that was scored.
 */
export async function explainIn(core: CollectionCore, snapshot: IndexSnapshot, q: TokenEmbeddings, id: string): Promise<Explanation> {
  const { encoder } = core;
  const p = payloadOf(snapshot.getPayload(id));
  if (!p) throw notFound(id);
  // Scores come from the stored vectors (so they equal query() scores, whatever the codec);
  // the document's token ids come from the tokenizer alone, which keeps the same rows, so no
  // document is run through the model again (that cost ~100 ms per hit on a small model).
  // Only when the stored rows do not line up (another tokenizer wrote them) is it re-encoded.
  const stored = snapshot.get(id);
  let docIds = encoder.outputTokenIds(p.text, "document");
  let raw: { queryIndex: number; docIndex: number; score: number }[];
  if (stored && core.pooling === null && stored.length === docIds.length) raw = snapshot.explain(vectors(q), id);
  else {
    const [d] = await encoder.encodeDocuments([p.text]);
    docIds = d!.tokenIds;
    raw = maxsimExplain(vectors(q), vectors(d!));
  }
  return buildExplanation(id, raw, encoder, q.tokenIds, docIds, p.text);
}
