/**
 * IEEE 754 binary16 ("half") conversion with exact round-to-nearest-even, and the `float16` codec.
 * Conversion works on the float32 bit pattern (the integer method of Giesen's "half to float done
 * quic" notes): normals round the 13 dropped mantissa bits to nearest even, letting the carry
 * ripple into the exponent; values at or above 65520 become ±Infinity; values below 2^-14 become
 * subnormals (or zero) with the same rounding. Decoding uses a 65536-entry table.
 */
import { MaxsimError } from "../../errors.js";
import type { CodecColumns, CodecDefinition, VectorCodec } from "./codec.js";
import { checkVectors, decodeRange } from "./helpers.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of the float16 nearest to `bits` (a float32 bit pattern), ties to even. */
function halfFromFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0); // Inf / NaN (quiet)
  if (abs >= 0x477ff000) return sign | 0x7c00; // ≥ 65520 rounds to infinity
  if (abs < 0x38800000) {
    // Subnormal half: value = m · 2^(e−150) = (m >> (126 − e)) units of 2^−24.
    const e = abs >>> 23;
    const shift = 126 - e;
    if (e === 0 || shift > 24) return sign; // below half the smallest subnormal (or float32 subnormal)
    const m = (abs & 0x7fffff) | 0x800000;
    let q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (q & 1) === 1)) q++;
    return sign | q;
  }
  let h = (((abs >>> 23) - 112) << 10) | ((abs >>> 13) & 0x3ff);
  const rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/**
 * The float16 bits nearest to `value` (round to nearest, ties to even; overflow → ±Infinity).
 *
 * @param value - any number (first rounded to float32, as a Float32Array store would).
 * @returns an integer in `[0, 65535]`.
 *
 * @example
 * ```ts
 * import { float32ToFloat16Bits } from "@maxsim/core";
 * console.log(float32ToFloat16Bits(1).toString(16)); // "3c00"
 * ```
 */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  return halfFromFloatBits(u32[0]!);
}

const HALF_TABLE = (() => {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = (sign ? -1 : 1) * mant * 2 ** -24;
    else if (exp === 31) bits[h] = sign | 0x7f800000 | (mant << 13);
    else bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return table;
})();

/**
 * The value of float16 bits `bits` (exact: every float16 is a float32).
 *
 * @example
 * ```ts
 * import { float16BitsToFloat32 } from "@maxsim/core";
 * console.log(float16BitsToFloat32(0x3555)); // 0.333251953125
 * ```
 */
export function float16BitsToFloat32(bits: number): number {
  return HALF_TABLE[bits & 0xffff]!;
}

/**
 * Converts float32 values to float16 bits (round to nearest even).
 *
 * @param src - values.
 * @param out - destination of the same length; allocated when absent.
 * @returns `out`.
 *
 * @example
 * ```ts
 * import { toFloat16, fromFloat16 } from "@maxsim/core";
 * console.log(fromFloat16(toFloat16(new Float32Array([0.1, -2])))); // Float32Array(2) [0.0999755859375, -2]
 * ```
 */
export function toFloat16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfFromFloatBits(bits[i]!);
  return out;
}

/**
 * Converts float16 bits to float32 values (exact).
 *
 * @param src - float16 bit patterns.
 * @param out - destination of the same length; allocated when absent.
 * @returns `out`.
 * @example
 * ```ts
 * import { fromFloat16 } from "@maxsim/core";
 * console.log(fromFloat16(new Uint16Array([0x3c00, 0xc000]))); // Float32Array(2) [1, -2]
 * ```
 */
export function fromFloat16(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) out[i] = HALF_TABLE[src[i]!]!;
  return out;
}

/**
 * Largest absolute error of float16 storage for components in [−1, 1] (unit vectors): half a unit
 * in the last place of [0.5, 1), i.e. 2^−12 ≈ 2.44e−4.
 *
 * @example
 * ```ts
 * import { FLOAT16_MAX_ABS_ERROR_UNIT, fromFloat16, toFloat16 } from "@maxsim/core";
 * const x = new Float32Array([0.7071]);
 * console.log(Math.abs(fromFloat16(toFloat16(x))[0]! - x[0]!) <= FLOAT16_MAX_ABS_ERROR_UNIT); // true
 * ```
 */
export const FLOAT16_MAX_ABS_ERROR_UNIT = 2 ** -12;

function column(columns: Readonly<CodecColumns>, codec: string, ctor: typeof Uint16Array | typeof Float32Array): ArrayLike<number> {
  const v = columns.vectors;
  if (!(v instanceof ctor)) {
    throw new MaxsimError("INVALID_INPUT", `Codec ${codec} expects a "vectors" column of ${ctor.name}; the segment has none.`);
  }
  return v;
}

/**
 * The `float16` codec: one `vectors: Uint16Array` column of float16 bits, 2 bytes per value;
 * components of unit vectors come back within {@link FLOAT16_MAX_ABS_ERROR_UNIT}.
 *
 * @example
 * ```ts
 * import { float16Codec } from "@maxsim/core";
 * const codec = float16Codec.create({ dim: 2 });
 * console.log(codec.encode(new Float32Array([1, -0.5])).vectors, codec.bytesPerVector); // Uint16Array(2) [15360, 47104] 4
 * ```
 */
export const float16Codec: CodecDefinition = {
  name: "float16",
  create({ dim }): VectorCodec {
    return {
      name: "float16",
      dim,
      bytesPerVector: 2 * dim,
      encode: (vectors) => {
        checkVectors(vectors, dim, "float16");
        return { vectors: toFloat16(vectors) };
      },
      count: (columns) => column(columns, "float16", Uint16Array).length / dim,
      decode(columns, start, count, out) {
        const v = column(columns, "float16", Uint16Array) as Uint16Array;
        const { from, to } = decodeRange(v.length / dim, dim, start, count);
        return fromFloat16(v.subarray(from, to), out ?? new Float32Array(to - from));
      },
    };
  },
};
