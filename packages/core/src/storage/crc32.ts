/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial): zlib's native `crc32` (Node ≥ 20.15, and the
 * package needs ≥ 20.19). It replaced a slice-by-8 TypeScript loop that ran at ~0.9 GB/s against
 * zlib's ~4 GB/s on the same machine; every segment section, manifest and disk-tier block is
 * checksummed when written and read, and on a bulk load the disk tier alone is 256 bytes a token.
 */
import { crc32 as zlibCrc32 } from "node:zlib";

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
  return zlibCrc32(bytes, previous >>> 0);
}
