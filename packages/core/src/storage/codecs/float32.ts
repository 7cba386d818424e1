/** The `float32` codec: vectors stored exactly, one `vectors: Float32Array` column. */
import { MaxsimError } from "../../errors.js";
import type { CodecDefinition, VectorCodec } from "./codec.js";
import { checkVectors, decodeRange } from "./helpers.js";

/** The exact `float32` codec, 4 bytes per value. */
export const float32Codec: CodecDefinition = {
  name: "float32",
  create({ dim }): VectorCodec {
    const vectorsOf = (columns: Readonly<Record<string, unknown>>): Float32Array => {
      const v = columns.vectors;
      if (!(v instanceof Float32Array)) {
        throw new MaxsimError("INVALID_INPUT", 'Codec float32 expects a "vectors" column of Float32Array; the segment has none.');
      }
      return v;
    };
    return {
      name: "float32",
      dim,
      bytesPerVector: 4 * dim,
      encode: (vectors) => {
        checkVectors(vectors, dim, "float32");
        return { vectors: vectors.slice() };
      },
      count: (columns) => vectorsOf(columns).length / dim,
      decode(columns, start, count, out) {
        const v = vectorsOf(columns);
        const { from, to } = decodeRange(v.length / dim, dim, start, count);
        if (out === undefined) return v.slice(from, to);
        out.set(v.subarray(from, to));
        return out;
      },
    };
  },
};
