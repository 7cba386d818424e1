import { describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import {
  FLOAT16_MAX_ABS_ERROR_UNIT,
  codecNames,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  fromFloat16,
  getCodec,
  registerCodec,
  toFloat16,
} from "../../src/storage/index.js";
import { rng } from "../helpers.js";

const isNanBits = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe("float16 conversion", () => {
  it("decodes and re-encodes every one of the 65536 bit patterns to itself", () => {
    for (let h = 0; h < 65536; h++) {
      const v = float16BitsToFloat32(h);
      if (isNanBits(h)) {
        expect(Number.isNaN(v)).toBe(true);
        expect(isNanBits(float32ToFloat16Bits(v))).toBe(true);
      } else {
        expect(float32ToFloat16Bits(v)).toBe(h);
      }
    }
  });

  it("decodes known values exactly", () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it("rounds every midpoint between neighbouring halves to the even one, and nudges to the nearest", () => {
    // Positive finite halves in order; their midpoints are exact float32 values.
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let h = 0; h < 0x7c00; h++) {
      const lo = float16BitsToFloat32(h);
      const hi = h + 1 === 0x7c00 ? 65536 : float16BitsToFloat32(h + 1);
      f[0] = (lo + hi) / 2;
      const mid = u[0]!;
      const even = (h & 1) === 0 ? h : h + 1;
      expect(float32ToFloat16Bits(f[0]!)).toBe(even);
      expect(float32ToFloat16Bits(-f[0]!)).toBe(even | 0x8000);
      u[0] = mid - 1;
      expect(float32ToFloat16Bits(f[0]!)).toBe(h);
      u[0] = mid + 1;
      expect(float32ToFloat16Bits(f[0]!)).toBe(h + 1);
    }
  });

  it("handles overflow, underflow, zero signs and NaN", () => {
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-1e10)).toBe(0xfc00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // exact half of the smallest subnormal: ties to even 0
    expect(float32ToFloat16Bits(2 ** -25 * 1.0001)).toBe(1);
    expect(float32ToFloat16Bits(1e-30)).toBe(0);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(isNanBits(float32ToFloat16Bits(NaN))).toBe(true);
  });

  it("agrees with a brute-force nearest search on random float32 values", () => {
    const next = rng(7);
    const halves = Array.from({ length: 0x7c00 }, (_, h) => float16BitsToFloat32(h));
    const f = new Float32Array(1);
    for (let i = 0; i < 2000; i++) {
      f[0] = (next() * 2 - 1) * 2 ** Math.floor(next() * 40 - 28);
      const x = Math.abs(f[0]!);
      // Binary search for the neighbours, then pick the nearest (ties: even).
      let lo = 0;
      let hi = halves.length - 1;
      while (hi - lo > 1) {
        const m = (lo + hi) >> 1;
        if (halves[m]! <= x) lo = m;
        else hi = m;
      }
      const dLo = x - halves[lo]!;
      const dHi = halves[hi]! - x;
      const want = x >= 65520 ? 0x7c00 : dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
      expect(float32ToFloat16Bits(f[0]!)).toBe(want | (f[0]! < 0 || Object.is(f[0], -0) ? 0x8000 : 0));
    }
  });

  it("keeps unit-vector components within 2^-12 (measured and reported)", () => {
    const next = rng(42);
    const dim = 128;
    const count = 2000;
    const data = new Float32Array(dim * count);
    for (let v = 0; v < count; v++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        // Box–Muller normals give uniformly distributed directions.
        const g = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
        data[v * dim + d] = g;
        norm += g * g;
      }
      for (let d = 0; d < dim; d++) data[v * dim + d]! /= Math.sqrt(norm);
    }
    const back = fromFloat16(toFloat16(data));
    let maxAbs = 0;
    let maxDot = 0;
    for (let v = 0; v < count; v++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) {
        const i = v * dim + d;
        maxAbs = Math.max(maxAbs, Math.abs(back[i]! - data[i]!));
        dot += back[i]! * data[i]!;
      }
      maxDot = Math.max(maxDot, Math.abs(1 - dot));
    }
    console.log(`float16 on ${count} unit vectors (dim ${dim}): max abs error ${maxAbs.toExponential(3)}, max |1 - <x, decoded x>| ${maxDot.toExponential(3)}`);
    expect(maxAbs).toBeLessThanOrEqual(FLOAT16_MAX_ABS_ERROR_UNIT);
    expect(maxAbs).toBeGreaterThan(0);
  });
});

describe("codec registry", () => {
  const vectors = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 2);

  it("float32 round-trips exactly, float16 within its bound, with ranges", () => {
    expect(codecNames()).toEqual(expect.arrayContaining(["float32", "float16"]));
    const f32 = getCodec("float32", { dim: 4 });
    const cols = f32.encode(vectors);
    expect(f32.count(cols)).toBe(3);
    expect(f32.bytesPerVector).toBe(16);
    expect(Array.from(f32.decode(cols))).toEqual(Array.from(vectors));
    expect(Array.from(f32.decode(cols, 1, 1))).toEqual(Array.from(vectors.subarray(4, 8)));
    const f16 = getCodec("float16", { dim: 4 });
    const c16 = f16.encode(vectors);
    expect(c16.vectors).toBeInstanceOf(Uint16Array);
    expect(f16.bytesPerVector).toBe(8);
    const out = new Float32Array(8);
    expect(f16.decode(c16, 1, 2, out)).toBe(out);
    out.forEach((v, i) => expect(Math.abs(v - vectors[4 + i]!)).toBeLessThanOrEqual(2 ** -12));
  });

  it("gives typed errors for unknown codecs, bad dims, ranges and missing state", () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return MaxsimError.isInstance(e) ? e.code : "other";
      }
      return undefined;
    };
    expect(codeOf(() => getCodec("nbits9", { dim: 4 }))).toBe("INVALID_OPTION");
    expect(codeOf(() => getCodec("float16", { dim: 0 }))).toBe("INVALID_OPTION");
    expect(codeOf(() => getCodec("float16", { dim: 5 }).encode(vectors))).toBe("DIM_MISMATCH");
    expect(codeOf(() => getCodec("float16", { dim: 4 }).decode({ vectors: new Uint16Array(8) }, 1, 2))).toBe("INVALID_OPTION");
    expect(codeOf(() => getCodec("float16", { dim: 4 }).decode({ vectors: new Float32Array(8) }))).toBe("INVALID_INPUT");
    registerCodec({
      name: "test-stateful",
      needsState: true,
      create: ({ dim, state }) => ({ ...getCodec("float32", { dim }), name: "test-stateful", bytesPerVector: state!.length }),
    });
    expect(codeOf(() => getCodec("test-stateful", { dim: 4 }))).toBe("INVALID_OPTION");
    expect(getCodec("test-stateful", { dim: 4, state: new Uint8Array(3) }).bytesPerVector).toBe(3);
    expect(codeOf(() => registerCodec({ name: "Bad Name", create: () => getCodec("float32", { dim: 1 }) }))).toBe("INVALID_OPTION");
  });
});
