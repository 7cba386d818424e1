/**
 * Per-layer-kind int8 kernel bench for LFM2-ColBERT-350M's MatMul shapes: one single-op graph
 * per (shape, kernel), run interleaved with its f32 MatMul twin and repeated, so every ratio
 * comes from the same minutes of a shared machine. Kernels (onnxruntime-node CPU EP):
 *
 * - `f32`: MatMul on float weights (the baseline).
 * - `mmint`: DynamicQuantizeLinear → MatMulInteger (u8 activations × s8 per-column weights) →
 *   Cast → Mul by the two scales (the QDQ/integer form; onnxruntime may fuse it).
 * - `dqmm`: com.microsoft DynamicQuantizeMatMul (the same arithmetic in one op).
 * - `dqmm7`: DynamicQuantizeMatMul with 7-bit weights (±63): on AVX2 without VNNI MLAS's u8×s8
 *   kernel multiplies with `vpmaddubsw`, whose int16 pair sums saturate for 8-bit weights.
 * - `rowint`: 7-bit weights (±63) and one symmetric int8 scale per activation row (per token, so a text's vectors do
 *   not depend on its batch-mates): ReduceMax(|x|) → QuantizeLinear (axis 0) → MatMulInteger
 *   (u8 codes around 128 × s8) → Cast → Mul by the row and column scales.
 * - `rowint8`: `rowint` with 8-bit weights (±127): faster to no benefit, `vpmaddubsw` saturates.
 * - `rowuu`: `rowint` with 8-bit weights stored as u8 + 128 (zero point 128 per column): MLAS's
 *   u8 × u8 kernel, which widens to 16 bits first and cannot saturate.
 * - `nbits32` / `nbits128`: MatMulNBits (bits 8, accuracy_level 4) with blocks of 32 / 128.
 *
 * Run: `pnpm --filter @maxsim/core exec tsx --conditions=@maxsim/source bench/int8-kernels.ts [rows] [reps]`
 * (env: `THREADS=1,2`, `KERNELS=f32,rowint,…`, `SHAPES=ffn,conv` to pick rows of the table)
 * Prints per shape: ms per run (median of reps) for each kernel, its speed-up over f32 and the
 * relative error of its output against f32. Not a test: shared-machine numbers.
 */
import { cpus, loadavg } from "node:os";
import * as ort from "onnxruntime-node";
import { Prng } from "../src/fixtures/prng.js";
import { quantizeMatMulNBits, quantizePerColumn } from "../src/model/lfm2/quantize.js";
import { DataType, GraphBuilder, bytesOf, floatTensor } from "../src/onnx/graph-builder.js";

const ROWS = Number(process.argv[2] ?? 600);
const REPS = Number(process.argv[3] ?? 5);
const THREADS = (process.env.THREADS ?? "1,2").split(",").map(Number);

/** LFM2-350M MatMuls: [name, in, out, count per forward]. */
const SHAPES: [string, number, number, number][] = [
  ["conv in_proj", 1024, 3072, 10],
  ["conv out_proj", 1024, 1024, 10],
  ["attn qkv", 1024, 2048, 6],
  ["attn out_proj", 1024, 1024, 6],
  ["ffn w1|w3", 1024, 9216, 16],
  ["ffn w2", 4608, 1024, 16],
  ["dense head", 1024, 128, 1],
];

const ONLY = process.env.SHAPES?.split(",");
if (ONLY) SHAPES.splice(0, SHAPES.length, ...SHAPES.filter(([name]) => ONLY.some((o) => name.includes(o))));

type Kernel = "f32" | "mmint" | "dqmm" | "dqmm7" | "rowint" | "rowint8" | "rowuu" | "nbits32" | "nbits128";
const KERNELS: Kernel[] = (process.env.KERNELS?.split(",") as Kernel[] | undefined) ?? ["f32", "mmint", "dqmm", "dqmm7", "rowint", "nbits32", "nbits128"];

function graphFor(kernel: Kernel, w: Float32Array, inF: number, outF: number): Uint8Array {
  const g = new GraphBuilder(`k_${kernel}`);
  g.input("x", DataType.FLOAT, ["rows", inF]);
  let y: string;
  if (kernel === "f32") {
    const wt = new Float32Array(inF * outF);
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) wt[i * outF + o] = w[o * inF + i]!;
    y = g.op("MatMul", ["x", g.initializer("w", floatTensor(wt, [inF, outF]))]);
  } else if (kernel === "rowint" || kernel === "rowint8" || kernel === "rowuu") {
    const q = quantizePerColumn([w], [outF], inF, kernel === "rowint" ? 63 : 127);
    if (kernel === "rowuu") {
      // u8 weights = code + 128 with a per-column zero point of 128: MLAS's u8 × u8 kernel (no vpmaddubsw saturation).
      g.initializer("wq", { dataType: DataType.UINT8, dims: [inF, outF], raw: Uint8Array.from(q.weight, (v) => v + 128) });
      g.initializer("wz", { dataType: DataType.UINT8, dims: [outF], raw: new Uint8Array(outF).fill(128) });
    } else {
      g.initializer("wq", { dataType: DataType.INT8, dims: [inF, outF], raw: bytesOf(q.weight) });
    }
    g.initializer("ws", floatTensor(q.scales, [outF]));
    const rowMax = g.op("ReduceMax", [g.op("Abs", ["x"])], { axes: [1], keepdims: 0 }); // [rows]
    const rowScale = g.op("Max", [
      g.op("Div", [rowMax, g.initializer("c127", floatTensor(Float32Array.of(127), []))]),
      g.initializer("tiny", floatTensor(Float32Array.of(1e-30), [])),
    ]);
    // u8 codes around 128 (MLAS's fast path is u8 × s8; s8 × s8 runs a slow generic kernel here).
    const zp = g.op("ConstantOfShape", [g.op("Shape", [rowScale])], { value: { dataType: DataType.UINT8, dims: [1], raw: Uint8Array.of(128) } });
    const xq = g.op("QuantizeLinear", ["x", rowScale, zp], { axis: 0 });
    const acc = g.op("MatMulInteger", [
      xq,
      "wq",
      g.initializer("zp128", { dataType: DataType.UINT8, dims: [], raw: Uint8Array.of(128) }),
      ...(kernel === "rowuu" ? ["wz"] : []),
    ]);
    const rs = g.op("Unsqueeze", [rowScale, g.initializer("ax1", { dataType: DataType.INT64, dims: [1], raw: bytesOf(BigInt64Array.of(1n)) })]);
    y = g.op("Mul", [g.op("Mul", [g.op("Cast", [acc], { to: DataType.FLOAT }), rs]), "ws"]);
  } else if (kernel === "mmint" || kernel === "dqmm" || kernel === "dqmm7") {
    const q = quantizePerColumn([w], [outF], inF, kernel === "dqmm7" ? 63 : 127);
    g.initializer("wq", { dataType: DataType.INT8, dims: [inF, outF], raw: bytesOf(q.weight) });
    g.initializer("ws", floatTensor(q.scales, [outF]));
    g.initializer("wz", { dataType: DataType.INT8, dims: [outF], raw: new Uint8Array(outF) });
    if (kernel === "mmint") {
      const [xq, xs, xz] = [g.fresh("xq"), g.fresh("xs"), g.fresh("xz")];
      g.node("DynamicQuantizeLinear", ["x"], [xq, xs, xz]);
      const acc = g.op("MatMulInteger", [xq, "wq", xz, "wz"]);
      y = g.op("Mul", [g.op("Mul", [g.op("Cast", [acc], { to: DataType.FLOAT }), xs]), "ws"]);
    } else {
      g.useDomain("com.microsoft", 1);
      y = g.op("DynamicQuantizeMatMul", ["x", "wq", "ws", "wz"], {}, "com.microsoft");
    }
  } else {
    const block = kernel === "nbits32" ? 32 : 128;
    g.useDomain("com.microsoft", 1);
    const q = quantizeMatMulNBits([w], [outF], inF, block);
    g.initializer("wq", { dataType: DataType.UINT8, dims: [outF, inF / block, block], raw: q.weight });
    g.initializer("ws", floatTensor(q.scales, [outF * (inF / block)]));
    y = g.op("MatMulNBits", ["x", "wq", "ws"], { K: inF, N: outF, bits: 8, block_size: block, accuracy_level: 4 }, "com.microsoft");
  }
  g.node("Identity", [y], ["y"]);
  g.output("y", DataType.FLOAT, ["rows", outF]);
  return g.toBytes();
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += a[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}; rows ${ROWS}, ${REPS} interleaved reps, shared machine`,
);
const rng = new Prng("int8-kernels");
const totals = new Map<string, number>();
for (const threads of THREADS) {
  console.log(`\nintra-op threads ${threads}: ms per run (median) · speed-up vs f32 · relative output error`);
  for (const [name, inF, outF, count] of SHAPES) {
    const w = rng.fillNormal(new Float32Array(inF * outF), 1 / Math.sqrt(inF));
    // Post-RMSNorm-like activations: unit scale with a few larger channels, as real hidden states have.
    const x = rng.fillNormal(new Float32Array(ROWS * inF));
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < inF; c += 97) x[r * inF + c]! *= 6;
    const feeds = { x: new ort.Tensor("float32", x, [ROWS, inF]) };
    const sessions = new Map<Kernel, ort.InferenceSession>();
    const outs = new Map<Kernel, Float32Array>();
    for (const k of KERNELS) {
      const s = await ort.InferenceSession.create(graphFor(k, w, inF, outF), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      });
      sessions.set(k, s);
      outs.set(k, (await s.run(feeds)).y!.data as Float32Array);
    }
    const times = new Map<Kernel, number[]>(KERNELS.map((k) => [k, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const k of KERNELS) {
        const t0 = performance.now();
        await sessions.get(k)!.run(feeds);
        times.get(k)!.push(performance.now() - t0);
      }
    }
    const base = median(times.get("f32")!);
    const cells = KERNELS.map((k) => {
      const ms = median(times.get(k)!);
      totals.set(`${threads}:${k}`, (totals.get(`${threads}:${k}`) ?? 0) + ms * count);
      return `${k} ${ms.toFixed(1)} ms ${(base / ms).toFixed(2)}x err ${relErr(outs.get("f32")!, outs.get(k)!).toFixed(4)}`;
    });
    console.log(`  ${name.padEnd(14)} ${inF}→${outF}: ${cells.join(" | ")}`);
    for (const s of sessions.values()) await s.release();
  }
  const f = totals.get(`${threads}:f32`)!;
  console.log(`  all MatMuls of one forward (×count): ${KERNELS.map((k) => `${k} ${(f / totals.get(`${threads}:${k}`)!).toFixed(2)}x`).join(", ")}`);
}
console.log(
  `\nload average now ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
