/** Value types shared by the encoder, scoring, index and wrappers. */

/**
 * The per-token vectors of one text: `length` rows of `dim` floats, row-major, L2-normalised.
 * `tokenIds[i]` is the token id that produced row `i` (prefix and expansion tokens included).
 */
export interface TokenEmbeddings {
  data: Float32Array;
  length: number;
  dim: number;
  tokenIds: Int32Array;
}

/** A bag of token vectors without token ids: what the index stores and scores. */
export interface TokenVectors {
  data: Float32Array;
  length: number;
  dim: number;
}

/** Which side of late interaction a text is encoded for. */
export type EncodeAs = "query" | "document";
