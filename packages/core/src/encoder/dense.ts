/**
 * The sentence-transformers Dense head and L2 normalisation, applied to the kept rows only
 * (padding and skiplist rows are never projected).
 *
 * The projection runs as a small onnxruntime MatMul session ({@link DenseHead}) over the kept
 * rows of a batch. Measured in `bench/encode.ts` ("dense head", 4096 rows, 384 → 128, shared
 * 2-core machine): plain JS loop 865 ms vs onnxruntime MatMul 16 ms (1 thread) / 13 ms (2
 * threads), so the JS loop ({@link applyDense}) is kept only as the reference the tests compare
 * against. A second session costs one copy of the kept rows, far below the MatMul saving.
 */
import * as ort from "onnxruntime-node";
import { DataType, GraphBuilder, floatTensor } from "../onnx/graph-builder.js";
import type { DenseProjection } from "../model/types.js";

/** The Dense projections of a model as one onnxruntime session: `[rows, in] → [rows, out]`. */
export class DenseHead {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {}

  /** Builds the MatMul (+ bias) chain for `dense` (applied in order). */
  static async create(dense: readonly DenseProjection[], intraOpThreads?: number): Promise<DenseHead> {
    const g = new GraphBuilder("maxsim_dense_head");
    const first = dense[0]!;
    let x = g.input("x", DataType.FLOAT, ["rows", first.inFeatures]);
    dense.forEach((d, i) => {
      const input = x;
      x = g.op("MatMul", [
        input,
        g.initializer(`dense${i}.weight`, floatTensor(transpose(d.weight, d.outFeatures, d.inFeatures), [d.inFeatures, d.outFeatures])),
      ]);
      if (d.bias !== null) x = g.op("Add", [x, g.initializer(`dense${i}.bias`, floatTensor(d.bias, [d.outFeatures]))]);
      if (d.residual === "identity") x = g.op("Add", [x, input]);
      else if (d.residual !== undefined) {
        const r = g.op("MatMul", [
          input,
          g.initializer(`dense${i}.residual`, floatTensor(transpose(d.residual, d.outFeatures, d.inFeatures), [d.inFeatures, d.outFeatures])),
        ]);
        x = g.op("Add", [x, r]);
      }
    });
    const last = dense[dense.length - 1]!;
    g.node("Identity", [x], ["y"]);
    g.output("y", DataType.FLOAT, ["rows", last.outFeatures]);
    const session = await ort.InferenceSession.create(g.toBytes(), {
      interOpNumThreads: 1,
      ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads }),
    });
    return new DenseHead(session, first.inFeatures, last.outFeatures);
  }

  /** Projects `rows` rows of `input`. */
  async run(input: Float32Array, rows: number): Promise<Float32Array> {
    if (rows === 0) return new Float32Array(0);
    const out = await this.session.run({ x: new ort.Tensor("float32", input, [rows, this.inFeatures]) });
    return out.y!.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** torch Linear stores `[out, in]`; MatMul wants `[in, out]`. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) t[k * rows + j] = w[j * cols + k]!;
  return t;
}

/**
 * Reference JS projection (tests compare {@link DenseHead} against it).
 * Projects `rows` rows of `input` (row stride `inFeatures`) through `dense`:
 * `out[r] = W · in[r] + b`, with `W` row-major `[out, in]`.
 */
export function applyDense(input: Float32Array, rows: number, dense: DenseProjection): Float32Array {
  const { weight, bias, inFeatures: n, outFeatures: m } = dense;
  const out = new Float32Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const xo = r * n;
    const oo = r * m;
    for (let j = 0; j < m; j++) {
      const wo = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < n; k += 4) {
        s0 += weight[wo + k]! * input[xo + k]!;
        s1 += weight[wo + k + 1]! * input[xo + k + 1]!;
        s2 += weight[wo + k + 2]! * input[xo + k + 2]!;
        s3 += weight[wo + k + 3]! * input[xo + k + 3]!;
      }
      for (; k < n; k++) s0 += weight[wo + k]! * input[xo + k]!;
      out[oo + j] = s0 + s1 + s2 + s3 + (bias === null ? 0 : bias[j]!);
    }
  }
  const residual = dense.residual;
  if (residual === "identity") for (let i = 0; i < out.length; i++) out[i]! += input[i]!;
  else if (residual !== undefined) {
    const r = applyDense(input, rows, { weight: residual, bias: null, inFeatures: n, outFeatures: m, activation: "identity" });
    for (let i = 0; i < out.length; i++) out[i]! += r[i]!;
  }
  return out;
}

/** L2-normalises each `dim`-wide row of `data` in place (zero rows stay zero, as torch's normalize with eps). */
export function l2NormalizeRows(data: Float32Array, dim: number): void {
  const rows = data.length / dim;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += data[o + k]! * data[o + k]!;
    // torch.nn.functional.normalize divides by max(norm, 1e-12).
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < dim; k++) data[o + k]! *= inv;
  }
}
