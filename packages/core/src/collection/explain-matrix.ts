/**
 * The full MaxSim matrix of one stored document for a query: every query token × document token
 * similarity with both token lists and the documents' character spans, for heatmaps (the `maxsim
 * serve` playground draws one per hit). {@link Collection.explain} keeps only each row's maximum;
 * this keeps the whole row, so a reader sees the runner-up tokens too.
 */
import { maxsimExplain, maxsimMatrix } from "../scoring/maxsim.js";
import type { TokenEmbeddings, TokenVectors } from "../types.js";
import type { Collection } from "./collection.js";
import { notFound, payloadOf } from "./collection-documents.js";
import { buildExplanation } from "./explanation.js";
import { alignTokens } from "./spans.js";
import type { Span } from "./spans.js";
import type { TokenMatch } from "./types.js";

/** Every query token × document token similarity of one document. */
export interface SimilarityMatrix {
  id: string;
  /** The MaxSim score: the sum of the row maxima (equals {@link Collection.explain}'s score). */
  score: number;
  /** Readable query tokens, one per row (prefix and expansion tokens included). */
  queryTokens: string[];
  /** Readable document tokens, one per column. */
  docTokens: string[];
  /** Character offsets of each document token in the text, `null` when not locatable. */
  docSpans: (Span | null)[];
  /** Row-major `queryTokens.length × docTokens.length` dot products. */
  matrix: Float32Array;
  /**
   * Each query token's best match (each row's maximum), as {@link Collection.explain} gives them,
   * from the same query encoding and document version as `matrix`.
   */
  matches: TokenMatch[];
}

function vectors(e: TokenEmbeddings): TokenVectors {
  return { data: e.data, length: e.length, dim: e.dim };
}

/**
 * The MaxSim matrix of document `id` for `query`, from the stored vectors (so its row maxima
 * are the scores `query()` ranks by, whatever the codec), with each row's best match. The query
 * is encoded once, and the text, the stored rows and the matches come from one index snapshot,
 * so a concurrent upsert cannot pair the matrix of one version with the text of another.
 *
 * @param collection - an open collection
 * @param query - the query text
 * @param id - a stored document id
 * @throws MaxsimError `NOT_FOUND` for an unknown id, `INDEX_CLOSED` for a closed collection
 * @example
 * ```ts
 * import { Collection, explainMatrix } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const c = await Collection.create(null, { model: (await ensureFixtures()).multilingual });
 * await c.addDocuments([{ id: "fr", text: "Le chat dort." }]);
 * const m = await explainMatrix(c, "cat", "fr");
 * const row = m.queryTokens.indexOf("cat");
 * const n = m.docTokens.length;
 * const scores = [...m.matrix.subarray(row * n, row * n + n)];
 * console.log(m.matrix.length === m.queryTokens.length * n, m.docTokens[scores.indexOf(Math.max(...scores))]); // true chat
 * console.log(m.matches.find((t) => t.queryToken === "cat")!.docToken); // chat
 * await c.close();
 * ```
 */
export async function explainMatrix(collection: Collection, query: string, id: string): Promise<SimilarityMatrix> {
  // Fails fast (closed collection, bad or unknown id) before the query is encoded.
  const [known] = await collection.getDocuments([id]);
  if (known === undefined) throw notFound(id);
  const encoder = collection.encoder;
  const [q] = await encoder.encodeQueries([query]);
  return collection.index.pin(async (snapshot) => {
    // Read again in the snapshot: the document may have been replaced or deleted meanwhile.
    const doc = payloadOf(snapshot.getPayload(id));
    if (doc === undefined) throw notFound(id);
    let docIds = encoder.outputTokenIds(doc.text, "document");
    let rows = snapshot.get(id);
    // Pooled rows stand for several tokens, and rows written by another tokenizer do not line up
    // with today's token ids: then score the unpooled, re-encoded tokens (as explain does).
    if (rows === undefined || collection.pooling.poolFactor !== 1 || rows.length !== docIds.length) {
      const [d] = await encoder.encodeDocuments([doc.text]);
      docIds = d!.tokenIds;
      rows = vectors(d!);
    }
    const matrix = maxsimMatrix(vectors(q!), rows);
    const cols = rows.length;
    let score = 0;
    for (let i = 0; i < q!.length; i++) {
      let best = -Infinity;
      for (let j = 0; j < cols; j++) best = Math.max(best, matrix[i * cols + j]!);
      score += best;
    }
    const docTokens = encoder.tokenStrings(docIds);
    const { matches } = buildExplanation(id, maxsimExplain(vectors(q!), rows), encoder, q!.tokenIds, docIds, doc.text);
    return { id, score, queryTokens: encoder.tokenStrings(q!.tokenIds), docTokens, docSpans: alignTokens(doc.text, docTokens), matrix, matches };
  });
}
