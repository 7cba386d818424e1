/**
 * A minimal safetensors reader for the LFM2 builder: an 8-byte little-endian header length, a
 * JSON header (`name → { dtype, shape, data_offsets }`), then raw little-endian tensors. Tensors
 * are read one at a time with positioned reads, so a 700 MB checkpoint never sits in memory
 * twice. bf16 → f32 is exact (the bf16 bits are the high half of the f32 bits); f16 → f32 is
 * exact too.
 */
import { open, type FileHandle } from "node:fs/promises";
import { MaxsimError } from "../../errors.js";

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file: [begin, end). */
  begin: number;
  end: number;
}

/** A float32 tensor read from a checkpoint. */
export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}

/** An open safetensors file. Call {@link SafetensorsFile.close} when done. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    /** The raw JSON header text (what the cache key hashes). */
    readonly headerText: string,
    readonly metadata: Record<string, string>,
  ) {}

  /**
   * Opens `path` and parses its header.
   *
   * @throws `CHECKPOINT_INVALID` when the file is not a well-formed safetensors file.
   */
  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (cause) {
      throw new MaxsimError("MODEL_NOT_FOUND", `Cannot open checkpoint file ${path}. Check the path or re-download the model.`, { cause });
    }
    try {
      const size = (await handle.stat()).size;
      const lenBuf = Buffer.alloc(8);
      await handle.read(lenBuf, 0, 8, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (size < 8 || headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000) {
        throw new Error(`header length ${headerLen} does not fit the ${size}-byte file`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      await handle.read(headerBuf, 0, headerLen, 8);
      const headerText = headerBuf.toString("utf8");
      const header = JSON.parse(headerText) as Record<string, unknown>;
      const base = 8 + headerLen;
      const entries = new Map<string, SafetensorsEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(header)) {
        if (name === "__metadata__") {
          metadata = (value ?? {}) as Record<string, string>;
          continue;
        }
        const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        if (typeof v.dtype !== "string" || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets) || v.data_offsets.length !== 2) {
          throw new Error(`tensor ${name} has a malformed header entry`);
        }
        const [b, e] = v.data_offsets.map(Number) as [number, number];
        if (!(b >= 0 && e >= b && base + e <= size)) throw new Error(`tensor ${name} lies outside the file`);
        entries.set(name, { dtype: v.dtype, shape: v.shape.map(Number), begin: base + b, end: base + e });
      }
      return new SafetensorsFile(path, handle, entries, headerText, metadata);
    } catch (cause) {
      await handle.close();
      if (MaxsimError.isInstance(cause)) throw cause;
      throw new MaxsimError("CHECKPOINT_INVALID", `${path} is not a valid safetensors file (${(cause as Error).message}). Re-download the model.`, { cause });
    }
  }

  /** True when the file has a tensor named `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Reads tensor `name` as float32 (from F32, BF16 or F16 storage).
   *
   * @throws `CHECKPOINT_INVALID` when the tensor is missing or has another dtype.
   */
  async readFloat(name: string): Promise<FloatTensor> {
    const entry = this.entries.get(name);
    if (!entry) throw new MaxsimError("CHECKPOINT_INVALID", `Checkpoint ${this.path} has no tensor "${name}". Re-download the model or check it is an LFM2 checkpoint.`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const bytes = Buffer.alloc(entry.end - entry.begin);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, entry.begin + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    const data = new Float32Array(count);
    const width = { F32: 4, BF16: 2, F16: 2 }[entry.dtype];
    if (width === undefined || bytes.length !== count * width) {
      throw new MaxsimError("CHECKPOINT_INVALID", `Tensor "${name}" in ${this.path} has dtype ${entry.dtype} and ${bytes.length} bytes for shape [${entry.shape.join(", ")}]; expected F32, BF16 or F16. Re-download the model.`);
    }
    if (entry.dtype === "F32") {
      for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(i * 4);
    } else if (entry.dtype === "BF16") {
      // Exact: a bf16 value is the top 16 bits of the f32 with the same value.
      const out = new Uint32Array(data.buffer);
      const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count); // Buffer.alloc is unpooled: offset 0, aligned
      for (let i = 0; i < count; i++) out[i] = src[i]! << 16;
    } else {
      for (let i = 0; i < count; i++) data[i] = halfToFloat(bytes.readUInt16LE(i * 2));
    }
    return { data, shape: entry.shape };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** IEEE half → float, exactly. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** f32 → bf16 bits, round-to-nearest-even (used by the checkpoint generator). */
export function floatToBf16Bits(value: number): number {
  const f = new Float32Array([value]);
  const u = new Uint32Array(f.buffer)[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return 0x7fc0;
  const rounding = 0x7fff + ((u >>> 16) & 1);
  return ((u + rounding) >>> 16) & 0xffff;
}

/** A tensor to write with {@link writeSafetensors}. */
export interface SafetensorsWriteEntry {
  name: string;
  dtype: "BF16" | "F32";
  shape: number[];
  /** Values; rounded to bf16 when `dtype` is BF16. */
  data: Float32Array;
}

/** Serialises tensors as a safetensors file (header padded to 8 bytes, as the Rust writer does). */
export function encodeSafetensors(tensors: SafetensorsWriteEntry[], metadata: Record<string, string> = { format: "pt" }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const len = t.data.length * (t.dtype === "BF16" ? 2 : 4);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let headerText = JSON.stringify(header);
  while ((8 + Buffer.byteLength(headerText)) % 8 !== 0) headerText += " ";
  const headerBytes = Buffer.from(headerText, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    if (t.dtype === "BF16") {
      for (let i = 0; i < t.data.length; i++, pos += 2) out.writeUInt16LE(floatToBf16Bits(t.data[i]!), pos);
    } else {
      for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i]!, pos);
    }
  }
  return out;
}
