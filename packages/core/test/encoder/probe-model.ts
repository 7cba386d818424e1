/**
 * A one-off probe model for the encoder's rule tests: its token vector at (b, s) is
 * `[1, input_id, attention, position, token_type]` (without the last entry when the model takes no
 * token_type_ids). L2 normalisation keeps ratios, so {@link decodeProbe} recovers exactly what
 * the encoder fed at every kept position.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataType, GraphBuilder, int64Tensor } from "../../src/onnx/graph-builder.js";

export interface ProbeOptions {
  tokenTypeIds?: boolean;
  /** Input element type. @defaultValue "int64" */
  intType?: "int64" | "int32";
  /** Extra input the encoder does not know (for MODEL_IO_MISMATCH). */
  extraInput?: string;
  /** Declared output width (a number, or a symbolic name for a dynamic width); defaults to the real one. */
  declaredWidth?: number | string;
}

/** Builds the probe graph; returns ONNX bytes and its output width. */
export function buildProbe(options: ProbeOptions = {}): { bytes: Uint8Array; width: number } {
  const g = new GraphBuilder("probe");
  const it = options.intType === "int32" ? DataType.INT32 : DataType.INT64;
  g.input("input_ids", it, ["batch", "seq"]);
  g.input("attention_mask", it, ["batch", "seq"]);
  if (options.tokenTypeIds) g.input("token_type_ids", it, ["batch", "seq"]);
  if (options.extraInput) g.input(options.extraInput, it, ["batch", "seq"]);
  const ids = g.op("Cast", ["input_ids"], { to: DataType.FLOAT });
  const att = g.op("Cast", ["attention_mask"], { to: DataType.FLOAT });
  const zero = g.op("Mul", [ids, g.initializer("zero", { dataType: DataType.FLOAT, dims: [], raw: new Uint8Array(new Float32Array([0]).buffer) })]);
  const ones = g.op("Add", [zero, g.initializer("one", { dataType: DataType.FLOAT, dims: [], raw: new Uint8Array(new Float32Array([1]).buffer) })]);
  const pos = g.op("CumSum", [ones, g.initializer("axis1", int64Tensor([1], []))], { exclusive: 1 });
  const axes = g.initializer("axes2", int64Tensor([2]));
  const parts = [ones, ids, att, pos];
  if (options.tokenTypeIds) parts.push(g.op("Cast", ["token_type_ids"], { to: DataType.FLOAT }));
  if (options.extraInput) parts.push(g.op("Cast", [options.extraInput], { to: DataType.FLOAT }));
  const cols = parts.map((p) => g.op("Unsqueeze", [p, axes]));
  const width = cols.length;
  g.node("Concat", cols, ["embeddings"], { axis: 2 });
  g.output("embeddings", DataType.FLOAT, ["batch", "seq", options.declaredWidth ?? width]);
  return { bytes: g.toBytes(), width };
}

/** A decoded probe row. */
export interface ProbeRow {
  id: number;
  attention: number;
  position: number;
  tokenType?: number;
}

/** Decodes every row of a probe output. */
export function decodeProbe(data: Float32Array, length: number, dim: number): ProbeRow[] {
  const rows: ProbeRow[] = [];
  for (let r = 0; r < length; r++) {
    const v = data.subarray(r * dim, (r + 1) * dim);
    const s = v[0]!;
    const row: ProbeRow = { id: Math.round(v[1]! / s), attention: Math.round(v[2]! / s), position: Math.round(v[3]! / s) };
    if (dim >= 5) row.tokenType = Math.round(v[4]! / s);
    rows.push(row);
  }
  return rows;
}

/** Writes a pylate-onnx layout directory around a probe model (tokenizer written by the caller). */
export async function writeProbeOnnxDir(dir: string, onnxConfig: Record<string, unknown>, probe: ProbeOptions = {}): Promise<number> {
  await mkdir(dir, { recursive: true });
  const { bytes, width } = buildProbe(probe);
  await writeFile(join(dir, "model.onnx"), bytes);
  await writeFile(join(dir, "onnx_config.json"), JSON.stringify({ embedding_dim: width, ...onnxConfig }, null, 2));
  return width;
}
