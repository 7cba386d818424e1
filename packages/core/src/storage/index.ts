// Public API of the storage layer: re-exports only.
export { IndexStore } from "./index-store.js";
export type {
  CommitRequest,
  IndexStoreCreateOptions,
  IndexStoreOpenOptions,
  NewSegment,
  SegmentContents,
} from "./store-types.js";
export { MANIFEST_VERSION, manifestFileName } from "./manifest.js";
export type { BlobEntry, Manifest, SegmentEntry } from "./manifest.js";
export { SEGMENT_VERSION, decodeSegment, encodeSegment } from "./segment.js";
export type { ColumnArray, ColumnDtype, EncodedSegment, SegmentData } from "./segment.js";
export { DISK_TIER_VERSION, DiskTierFile, encodeDiskTier } from "./disk-tier.js";
export type { PositionalSource } from "./disk-tier.js";
export { writeFileAtomic, syncDir } from "./atomic.js";
export type { WriteFileAtomicOptions } from "./atomic.js";
export { acquireWriterLock } from "./lock.js";
export type { LockInfo, WriterLock } from "./lock.js";
export { crc32 } from "./crc32.js";
export { isValidName } from "./names.js";
export { codecDefinition, codecNames, getCodec, registerCodec } from "./codecs/registry.js";
export type { CodecColumns, CodecContext, CodecDefinition, VectorCodec } from "./codecs/codec.js";
export {
  FLOAT16_MAX_ABS_ERROR_UNIT,
  float16BitsToFloat32,
  float16Codec,
  float32ToFloat16Bits,
  fromFloat16,
  toFloat16,
} from "./codecs/float16.js";
export { float32Codec } from "./codecs/float32.js";
export { ReadBuffer } from "./read-buffer.js";
