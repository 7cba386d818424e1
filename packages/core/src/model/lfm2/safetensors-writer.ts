/**
 * Writing safetensors files (the LFM2 checkpoint generator uses it; reading is
 * `model/safetensors.ts`): an 8-byte little-endian header length, a JSON header padded to 8
 * bytes, then the raw little-endian tensors. f32 → bf16 rounds to nearest even, as torch does.
 */
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * f32 → bf16 bits, round-to-nearest-even (used by the checkpoint generator).
 *
 * @example
 * ```ts
 * import { floatToBf16Bits } from "./safetensors-writer.js";
 * console.log(floatToBf16Bits(1).toString(16), floatToBf16Bits(-2.5).toString(16)); // 3f80 c020
 * ```
 */
export function floatToBf16Bits(value: number): number {
  scratch[0] = value;
  return bitsToBf16(scratchBits[0]!);
}

function bitsToBf16(u: number): number {
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

/**
 * Serialises tensors as a safetensors file (header padded to 8 bytes, as the Rust writer does).
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors-writer.js";
 * const bytes = encodeSafetensors([{ name: "w", dtype: "BF16", shape: [2], data: Float32Array.from([1, 2]) }]);
 * console.log(bytes.length % 8, bytes.readUInt16LE(bytes.length - 2).toString(16)); // 4 4000
 * ```
 */
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
      const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      for (let i = 0; i < t.data.length; i++, pos += 2) out.writeUInt16LE(bitsToBf16(bits[i]!), pos);
    } else {
      for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i]!, pos);
    }
  }
  return out;
}
