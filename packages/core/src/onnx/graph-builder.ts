/**
 * A small builder for ONNX models on top of `onnx-proto` (the ONNX protobuf schema compiled for
 * JavaScript). It serves the generated fixture models and the LFM2 graph builder: name values,
 * add nodes and initializers, then serialise, optionally with weights as ONNX external data so a
 * 1.4 GB model never has to fit in one protobuf buffer.
 */
import { open, rename, mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** ONNX element types used by maxsim graphs. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataTypeValue = (typeof DataType)[keyof typeof DataType];

/** A dimension: a fixed size or a symbolic name such as `"batch"`. */
export type Dim = number | string;

/** Attribute values accepted by {@link GraphBuilder.node}. */
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] } | TensorInit;

/** Raw tensor contents for an initializer or a tensor attribute. */
export interface TensorInit {
  dataType: DataTypeValue;
  dims: number[];
  /** Little-endian raw bytes in ONNX layout. */
  raw: Uint8Array;
}

/** Options for {@link GraphBuilder.toBytes} and {@link GraphBuilder.save}. */
export interface SerializeOptions {
  /** Store initializers at least this many bytes large in a side file. @defaultValue 1024 */
  externalThreshold?: number;
}

interface Initializer {
  name: string;
  init: TensorInit;
}

/** Raw bytes of a typed array, without copying. */
export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** A float32 tensor initializer value. */
export function floatTensor(data: Float32Array, dims: number[]): TensorInit {
  return { dataType: DataType.FLOAT, dims, raw: bytesOf(data) };
}

/** An int64 tensor initializer value. */
export function int64Tensor(values: readonly (number | bigint)[], dims: number[] = [values.length]): TensorInit {
  return { dataType: DataType.INT64, dims, raw: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))) };
}

/**
 * Builds one ONNX graph. Names are plain strings; {@link GraphBuilder.fresh} hands out unique ones
 * for intermediates.
 *
 * @example
 * ```ts
 * import { InferenceSession, Tensor } from "onnxruntime-node";
 * import { DataType, GraphBuilder, floatTensor } from "./graph-builder.js";
 * const g = new GraphBuilder("double");
 * g.input("x", DataType.FLOAT, ["n"]);
 * g.initializer("two", floatTensor(new Float32Array([2]), []));
 * g.node("Mul", ["x", "two"], ["y"]);
 * g.output("y", DataType.FLOAT, ["n"]);
 * const session = await InferenceSession.create(g.toBytes());
 * const { y } = await session.run({ x: new Tensor("float32", new Float32Array([1, 3]), [2]) });
 * console.log(y.data); // Float32Array(2) [ 2, 6 ]
 * await session.release();
 * ```
 */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly opsets = new Map<string, number>([["", 17]]);
  private counter = 0;

  constructor(
    readonly name: string,
    opset = 17,
  ) {
    this.opsets.set("", opset);
  }

  /** Declares an operator set, e.g. `useDomain("com.microsoft", 1)` for contrib ops. */
  useDomain(domain: string, version: number): this {
    this.opsets.set(domain, version);
    return this;
  }

  /** A unique value name with a readable stem. */
  fresh(stem: string): string {
    this.counter += 1;
    return `${stem}__${this.counter}`;
  }

  input(name: string, elemType: DataTypeValue, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  output(name: string, elemType: DataTypeValue, shape: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  initializer(name: string, init: TensorInit): string {
    this.initializers.push({ name, init });
    return name;
  }

  /** Adds a node; returns its first output name. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ""): string {
    const attribute = Object.entries(attributes).map(([key, value]) => attributeProto(key, value));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outputs,
        name: this.fresh(opType),
        attribute,
        domain,
      }),
    );
    return outputs[0] ?? "";
  }

  /** Adds a single-output node with a fresh output name; returns that name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ""): string {
    return this.node(opType, inputs, [this.fresh(opType.toLowerCase())], attributes, domain);
  }

  /** Serialises with every initializer inline (fine below protobuf's 2 GB limit). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.model(null)).finish();
  }

  /**
   * Writes `path` and, when large initializers exist, `path + ".data"` beside it (ONNX external
   * data). Both are written to temp files, fsynced and renamed so a crash never leaves a
   * half-written model; the model file is renamed last, so its presence means both are whole.
   */
  async save(path: string, options: SerializeOptions = {}): Promise<void> {
    const threshold = options.externalThreshold ?? 1024;
    await mkdir(dirname(path), { recursive: true });
    const dataName = `${basename(path)}.data`;
    const dataPath = join(dirname(path), dataName);
    const external = new Map<string, { offset: number; length: number }>();
    const big = this.initializers.filter((i) => i.init.raw.byteLength >= threshold);
    if (big.length > 0) {
      const tmp = `${dataPath}.tmp-${process.pid}`;
      const handle = await open(tmp, "w");
      try {
        let offset = 0;
        for (const { name, init } of big) {
          // 64-byte alignment lets onnxruntime memory-map tensors without copying.
          const pad = (64 - (offset % 64)) % 64;
          if (pad > 0) {
            await handle.write(new Uint8Array(pad), 0, pad, offset);
            offset += pad;
          }
          await writeAll(handle, init.raw, offset);
          external.set(name, { offset, length: init.raw.byteLength });
          offset += init.raw.byteLength;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, dataPath);
    }
    const bytes = onnx.ModelProto.encode(this.model(external.size > 0 ? { file: dataName, map: external } : null)).finish();
    const tmp = `${path}.tmp-${process.pid}`;
    const handle = await open(tmp, "w");
    try {
      await writeAll(handle, bytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  }

  private model(external: { file: string; map: Map<string, { offset: number; length: number }> } | null) {
    const initializer = this.initializers.map(({ name, init }) => {
      const where = external?.map.get(name);
      if (where && external) {
        return onnx.TensorProto.create({
          name,
          dataType: init.dataType,
          dims: init.dims,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: "location", value: external.file },
            { key: "offset", value: String(where.offset) },
            { key: "length", value: String(where.length) },
          ],
        });
      }
      return tensorProto(name, init);
    });
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: "maxsim",
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer,
      }),
    });
  }
}

function valueInfo(name: string, elemType: DataTypeValue, shape: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function tensorProto(name: string, init: TensorInit) {
  return onnx.TensorProto.create({ name, dataType: init.dataType, dims: init.dims, rawData: init.raw });
}

function attributeProto(name: string, value: AttributeValue) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`Attribute ${name}: use { float: x } for float attributes`);
    return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  }
  if (typeof value === "string") return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if ("float" in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  if ("floats" in value) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto(name, value) });
}

async function writeAll(handle: import("node:fs/promises").FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  // Large buffers are written in chunks: a single write() call is capped near 2 GB.
  const chunk = 1 << 28;
  for (let off = 0; off < bytes.byteLength; off += chunk) {
    const end = Math.min(off + chunk, bytes.byteLength);
    let done = off;
    while (done < end) {
      const { bytesWritten } = await handle.write(bytes, done, end - done, position + done);
      done += bytesWritten;
    }
  }
}

/** fsync a directory so a rename inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
