/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) in plain TypeScript.
 *
 * `zlib.crc32` only exists from Node 22 and maxsim supports Node 20, so storage carries its own.
 * It uses the slice-by-8 technique (Intel's "Slicing-by-8", as in zlib's braided CRC): eight
 * 256-entry tables let the loop consume eight bytes per iteration with table lookups only.
 */

const TABLES: Int32Array[] = (() => {
  const tables: Int32Array[] = [];
  const t0 = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  tables.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]!;
    const next = new Int32Array(256);
    for (let n = 0; n < 256; n++) next[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(next);
  }
  return tables;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * CRC-32 of `bytes`, as an unsigned 32-bit integer (the same value as zlib's `crc32`).
 *
 * @param bytes - data to checksum.
 * @param previous - the CRC of the bytes before these, to checksum data in pieces.
 * @defaultValue previous = 0
 * @returns the checksum, `0 <= crc < 2**32`.
 *
 * @example
 * ```ts
 * import { crc32 } from "@maxsim/core";
 * console.log(crc32(new TextEncoder().encode("123456789")).toString(16)); // "cbf43926"
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let crc = ~previous | 0;
  let i = 0;
  const n = bytes.length;
  if (LITTLE_ENDIAN) {
    // Align to 4 bytes, then read two 32-bit words per step (fewer loads than eight byte reads).
    while (i < n && ((bytes.byteOffset + i) & 3) !== 0) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
    const pairs = (n - i) >>> 3;
    if (pairs > 0) {
      const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, pairs * 2);
      for (let j = 0; j < w.length; j += 2) {
        const a = crc ^ w[j]!;
        const b = w[j + 1]!;
        crc =
          t7[a & 0xff]! ^
          t6[(a >>> 8) & 0xff]! ^
          t5[(a >>> 16) & 0xff]! ^
          t4[a >>> 24]! ^
          t3[b & 0xff]! ^
          t2[(b >>> 8) & 0xff]! ^
          t1[(b >>> 16) & 0xff]! ^
          t0[b >>> 24]!;
      }
      i += pairs * 8;
    }
  }
  const end8 = i + ((n - i) & ~7);
  while (i < end8) {
    const a = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
