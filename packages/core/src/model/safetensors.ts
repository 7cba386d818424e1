/**
 * A small reader for the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range,
 * then the raw little-endian data. Tensors are read one at a time through a file handle, so a
 * multi-gigabyte checkpoint never has to sit in memory whole. F32, F16 and BF16 convert to
 * float32 exactly (every half and bfloat16 value is representable in float32).
 */
import { open, type FileHandle } from "node:fs/promises";
import { MaxsimError } from "../errors.js";

/** Element types this reader converts to float32. */
export type SafetensorsDtype = "F32" | "F16" | "BF16";

/** One tensor's header entry. */
export interface SafetensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range inside the data section (after the header). */
  begin: number;
  end: number;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * An open safetensors file.
 *
 * @example
 * ```ts
 * import { SafetensorsFile } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lexicalSt } = await ensureFixtures();
 * const file = await SafetensorsFile.open(`${lexicalSt}/1_Dense/model.safetensors`);
 * const w = await file.read("linear.weight"); // Float32Array, row-major [out, in]
 * console.log(file.info("linear.weight")?.shape, w.length); // [ 128, 192 ] 24576
 * await file.close();
 * ```
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly dataOffset: number,
    private readonly tensors: Map<string, SafetensorInfo>,
    /** The header's `__metadata__` object, if any. */
    readonly metadata: Record<string, string>,
  ) {}

  /**
   * Opens `path` and parses its header.
   * @throws MaxsimError `CHECKPOINT_INVALID` when the header is truncated or malformed.
   */
  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, "r");
    try {
      const size = (await handle.stat()).size;
      const head = Buffer.alloc(8);
      await handle.read(head, 0, 8, 0);
      const headerLength = Number(head.readBigUInt64LE(0));
      if (size < 8 || headerLength <= 0 || 8 + headerLength > size) {
        throw invalid(path, `header length ${headerLength} does not fit a ${size}-byte file`);
      }
      const headerBytes = Buffer.alloc(headerLength);
      await handle.read(headerBytes, 0, headerLength, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBytes.toString("utf8")) as Record<string, unknown>;
      } catch (cause) {
        throw invalid(path, "its JSON header does not parse", cause);
      }
      const tensors = new Map<string, SafetensorInfo>();
      let metadata: Record<string, string> = {};
      const dataSize = size - 8 - headerLength;
      for (const [name, entry] of Object.entries(header)) {
        if (name === "__metadata__") {
          metadata = (entry ?? {}) as Record<string, string>;
          continue;
        }
        const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        if (typeof e.dtype !== "string" || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
          throw invalid(path, `tensor "${name}" has no dtype/shape/data_offsets`);
        }
        const [begin, end] = e.data_offsets as [number, number];
        if (begin < 0 || end < begin || end > dataSize) {
          throw invalid(path, `tensor "${name}" points outside the data section`);
        }
        tensors.set(name, { name, dtype: e.dtype, shape: e.shape as number[], begin, end });
      }
      return new SafetensorsFile(path, handle, 8 + headerLength, tensors, metadata);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Names of every tensor in header order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Header entry of `name`, or `undefined`. */
  info(name: string): SafetensorInfo | undefined {
    return this.tensors.get(name);
  }

  /**
   * Reads tensor `name` as float32 (row-major, same shape).
   * @throws MaxsimError `CHECKPOINT_INVALID` when the tensor is missing, has an unsupported dtype
   * or a byte length that does not match its shape.
   */
  async read(name: string): Promise<Float32Array> {
    const info = this.tensors.get(name);
    if (!info) throw invalid(this.path, `it has no tensor "${name}" (has: ${this.names().slice(0, 10).join(", ")})`);
    const dtype = info.dtype as SafetensorsDtype;
    const width = BYTES[dtype];
    if (width === undefined) throw invalid(this.path, `tensor "${name}" has dtype ${info.dtype}; only F32, F16 and BF16 are supported`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (count * width !== info.end - info.begin) {
      throw invalid(this.path, `tensor "${name}" holds ${info.end - info.begin} bytes but shape [${info.shape.join(", ")}] needs ${count * width}`);
    }
    const bytes = Buffer.alloc(info.end - info.begin);
    await this.handle.read(bytes, 0, bytes.length, this.dataOffset + info.begin);
    return toFloat32(bytes, dtype, count);
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Reads every tensor of a safetensors file into memory (small files such as a Dense head).
 *
 * @example
 * ```ts
 * import { readSafetensors } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lexicalSt } = await ensureFixtures();
 * const tensors = await readSafetensors(`${lexicalSt}/1_Dense/model.safetensors`);
 * console.log([...tensors.keys()], tensors.get("linear.weight")?.shape); // [ 'linear.weight' ] [ 128, 192 ]
 * ```
 */
export async function readSafetensors(path: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const file = await SafetensorsFile.open(path);
  try {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of file.names()) {
      out.set(name, { shape: file.info(name)!.shape, data: await file.read(name) });
    }
    return out;
  } finally {
    await file.close();
  }
}

/** Converts little-endian F32/F16/BF16 bytes to float32 exactly. */
export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === "F32") {
    // Byte copy: the platforms Node runs on are little-endian, like the file.
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
  } else if (dtype === "BF16") {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

/** IEEE 754 half → number, exact (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function invalid(path: string, problem: string, cause?: unknown): MaxsimError {
  return new MaxsimError("CHECKPOINT_INVALID", `Safetensors file ${path} is invalid: ${problem}. Re-download the model or re-save it with safetensors.`, {
    cause,
  });
}
