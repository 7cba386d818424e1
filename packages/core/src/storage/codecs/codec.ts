/**
 * The vector codec slot of the storage layer: how token vectors become segment columns and back.
 * Codecs are looked up by name (the name the manifest records) in a registry, so a codec that
 * needs trained state (PLAID residuals need centroids) plugs in the same way as the built-ins.
 */
import type { ColumnArray } from "../segment.js";

/** Named columns a codec writes into a segment. */
export type CodecColumns = Record<string, ColumnArray>;

/** What a codec is created with. */
export interface CodecContext {
  /** Vector dimension. */
  readonly dim: number;
  /** Trained codec state (e.g. the bytes of a `centroids` blob), for codecs that need it. */
  readonly state?: Uint8Array;
}

/** Encodes and decodes token vectors (rows of `dim` float32 values). */
export interface VectorCodec {
  /** Registry name, recorded in the manifest. */
  readonly name: string;
  readonly dim: number;
  /**
   * Encodes `vectors.length / dim` vectors into columns.
   * @throws MaxsimError `DIM_MISMATCH` when `vectors.length` is not a multiple of `dim`.
   */
  encode(vectors: Float32Array): CodecColumns;
  /**
   * Decodes vectors `[start, start + count)` of encoded `columns` into `out` (allocated when absent).
   * @defaultValue start = 0, count = all
   */
  decode(columns: Readonly<CodecColumns>, start?: number, count?: number, out?: Float32Array): Float32Array;
  /** Number of vectors held by `columns`. */
  count(columns: Readonly<CodecColumns>): number;
  /** Storage bytes per vector (excluding shared state such as centroids). */
  readonly bytesPerVector: number;
}

/** A named codec factory, what {@link registerCodec} takes. */
export interface CodecDefinition {
  readonly name: string;
  /** True when `create` needs `context.state`. */
  readonly needsState?: boolean;
  create(context: CodecContext): VectorCodec;
}
