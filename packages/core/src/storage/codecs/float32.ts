/** The `float32` codec: vectors stored exactly, one `vectors: Float32Array` column. */
import { MaxsimError } from "../../errors.js";
import type { CodecDefinition, VectorCodec } from "./codec.js";
import { checkVectors, decodeRange } from "./helpers.js";

/**
 * The exact `float32` codec, 4 bytes per value.
 *
 * @example
 * ```ts
 * import { float32Codec } from "@maxsim/core";
 * const codec = float32Codec.create({ dim: 2 });
 * console.log(codec.decode(codec.encode(new Float32Array([0.1, 0.2, 0.3, 0.4])), 1, 1)); // Float32Array(2) [0.30000001192092896, 0.4000000059604645]
 * ```
 */
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
