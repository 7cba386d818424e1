import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/storage/index.js";

/** Bit-by-bit reference CRC-32 (the definition, no tables). */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32", () => {
  it("matches the standard check values", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("matches the bitwise definition at every alignment and length, and in pieces", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 255);
    for (let offset = 0; offset < 9; offset++) {
      for (const length of [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200]) {
        const slice = data.subarray(offset, offset + length);
        expect(crc32(slice)).toBe(reference(slice));
      }
    }
    for (const cut of [0, 1, 5, 8, 150, 300]) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(reference(data));
    }
  });
});
