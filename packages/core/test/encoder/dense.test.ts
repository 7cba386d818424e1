import { describe, expect, it } from "vitest";
import { applyDense, DenseHead, l2NormalizeRows } from "../../src/encoder/dense.js";
import type { DenseProjection } from "../../src/model/types.js";

function projection(n: number, m: number, seed: number, bias: boolean): DenseProjection {
  const v = (i: number) => Math.sin(seed * 7.1 + i * 1.3);
  return {
    weight: Float32Array.from({ length: m * n }, (_, i) => v(i)),
    bias: bias ? Float32Array.from({ length: m }, (_, i) => v(i + 1000)) : null,
    inFeatures: n,
    outFeatures: m,
    activation: "identity",
  };
}

describe("Dense head", () => {
  it("the onnxruntime head equals the JS reference for a chain of two projections with bias", async () => {
    const a = projection(6, 5, 1, true);
    const b = projection(5, 3, 2, false);
    const rows = 4;
    const x = Float32Array.from({ length: rows * 6 }, (_, i) => Math.cos(i));
    const head = await DenseHead.create([a, b]);
    const got = await head.run(x, rows);
    const want = applyDense(applyDense(x, rows, a), rows, b);
    expect(got).toHaveLength(rows * 3);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(await head.run(new Float32Array(0), 0)).toHaveLength(0);
    await head.release();
    // exact toy values: [[1, 2], [3, 4]] · [1, 1] + [0.5, -0.5]
    expect(
      Array.from(
        applyDense(new Float32Array([1, 1]), 1, {
          weight: new Float32Array([1, 2, 3, 4]),
          bias: new Float32Array([0.5, -0.5]),
          inFeatures: 2,
          outFeatures: 2,
          activation: "identity",
        }),
      ),
    ).toEqual([3.5, 6.5]);
  });

  it("applies PyLate's use_residual (identity when in = out, a projection otherwise) the same way in both paths", async () => {
    const same = { ...projection(4, 4, 3, true), residual: "identity" as const };
    const other = { ...projection(4, 2, 4, false), residual: Float32Array.from({ length: 8 }, (_, i) => i - 3) };
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 3);
    const plain = applyDense(x, 2, { ...same, residual: undefined });
    const withIdentity = applyDense(x, 2, same);
    withIdentity.forEach((v, i) => expect(v).toBeCloseTo(plain[i]! + x[i]!, 6));
    const head = await DenseHead.create([same, other]);
    const got = await head.run(x, 2);
    const want = applyDense(applyDense(x, 2, same), 2, other);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    await head.release();
  });

  it("L2-normalises rows and leaves zero rows at zero", () => {
    const d = new Float32Array([3, 4, 0, 0]);
    l2NormalizeRows(d, 2);
    expect(Array.from(d)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });
});
