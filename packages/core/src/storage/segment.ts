/**
 * The segment file format: one immutable file holding the ids of a batch of documents, any number
 * of named typed-array columns and an optional JSON payload per document.
 *
 * ```
 * offset 0   8 bytes  magic "MXSMSEG\n"  (never changes; the format version lives in the header)
 *        8   u32 LE   header length L
 *        12  u32 LE   CRC-32 of the header bytes
 *        16  L bytes  header JSON: { version, rows, dataBytes, sections: [{ name, kind, dtype?,
 *                     offset, bytes, length, crc32 }] }
 *            zero padding to a multiple of 8  → data start
 *            sections, each at data start + offset (multiple of 8), zero padding between them
 * ```
 * Every section carries its own CRC-32 and the header carries the section table, so a flipped
 * byte anywhere (padding included: it must be zero) or a cut file is detected before any value is
 * returned. Sections are 8-byte aligned so columns are returned as zero-copy views of the file
 * buffer. The layout follows the "header + checksummed blocks" shape of LevelDB's table files.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { crc32 } from "./crc32.js";

/** The typed arrays a segment column can hold. `Uint16Array` also carries float16 bits. */
export type ColumnArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** The element type names stored in segment headers, one per {@link ColumnArray} kind. */
export type ColumnDtype = "float32" | "float64" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32";

/** What a segment holds: ids, named columns and optional per-document JSON payloads. */
export interface SegmentData {
  /** Document ids, unique within the segment. Data only: never used as file names. */
  readonly ids: readonly string[];
  /** Named typed-array columns; their meaning (vectors, offsets, codes…) is the caller's. */
  readonly columns: Readonly<Record<string, ColumnArray>>;
  /** One JSON-serialisable value per id (e.g. `{ text, metadata }`), or absent. */
  readonly payloads?: readonly unknown[] | undefined;
}

/**
 * Current segment format version; files with a higher version give `INDEX_VERSION`.
 *
 * @example
 * ```ts
 * import { SEGMENT_VERSION } from "@maxsim/core";
 * console.log(SEGMENT_VERSION); // 1
 * ```
 */
export const SEGMENT_VERSION = 1;

/** Largest segment file (fs.readFile reads at most 2 GiB − 1 bytes at once). */
const MAX_SEGMENT_BYTES = 2 ** 31 - 1;

const MAGIC = new Uint8Array([0x4d, 0x58, 0x53, 0x4d, 0x53, 0x45, 0x47, 0x0a]); // "MXSMSEG\n"
const PREFIX = 16;

const DTYPES: Record<ColumnDtype, { size: number; make: (buf: ArrayBuffer, off: number, len: number) => ColumnArray }> = {
  float32: { size: 4, make: (b, o, l) => new Float32Array(b, o, l) },
  float64: { size: 8, make: (b, o, l) => new Float64Array(b, o, l) },
  int8: { size: 1, make: (b, o, l) => new Int8Array(b, o, l) },
  uint8: { size: 1, make: (b, o, l) => new Uint8Array(b, o, l) },
  int16: { size: 2, make: (b, o, l) => new Int16Array(b, o, l) },
  uint16: { size: 2, make: (b, o, l) => new Uint16Array(b, o, l) },
  int32: { size: 4, make: (b, o, l) => new Int32Array(b, o, l) },
  uint32: { size: 4, make: (b, o, l) => new Uint32Array(b, o, l) },
};

/** The dtype name of a column array, or `undefined` for unsupported arrays. */
export function dtypeOf(array: unknown): ColumnDtype | undefined {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  if (array instanceof Int8Array) return "int8";
  if (array instanceof Uint8ClampedArray) return undefined;
  if (array instanceof Uint8Array) return "uint8";
  if (array instanceof Int16Array) return "int16";
  if (array instanceof Uint16Array) return "uint16";
  if (array instanceof Int32Array) return "int32";
  if (array instanceof Uint32Array) return "uint32";
  return undefined;
}

interface SectionHeader {
  name: string;
  kind: "ids" | "payloads" | "column";
  dtype?: ColumnDtype;
  offset: number;
  bytes: number;
  length: number;
  crc32: number;
}

interface SegmentHeader {
  version: number;
  rows: number;
  dataBytes: number;
  sections: SectionHeader[];
}

/** An encoded segment: the file bytes and the header checksum the manifest records. */
export interface EncodedSegment {
  readonly bytes: Uint8Array;
  readonly headerCrc: number;
  readonly rows: number;
}

const align8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks a segment before it is written: unique string ids, supported column arrays, payloads
 * matching the ids. Throws `INVALID_INPUT` / `DUPLICATE_ID` / `INVALID_ID`.
 */
export function validateSegmentData(data: SegmentData): void {
  if (!Array.isArray(data.ids)) throw new MaxsimError("INVALID_INPUT", "Segment ids must be an array of strings.");
  const seen = new Set<string>();
  for (const id of data.ids) {
    if (typeof id !== "string") {
      throw new MaxsimError("INVALID_ID", `Segment id ${JSON.stringify(id)} is not a string. Use string ids.`);
    }
    if (seen.has(id)) {
      throw new MaxsimError("DUPLICATE_ID", `Id ${JSON.stringify(id)} appears twice in one segment. Give each document one row.`);
    }
    seen.add(id);
  }
  if (typeof data.columns !== "object" || data.columns === null) {
    throw new MaxsimError("INVALID_INPUT", "Segment columns must be an object of typed arrays.");
  }
  for (const [name, array] of Object.entries(data.columns)) {
    if (name.length === 0 || name.length > 100) {
      throw new MaxsimError("INVALID_INPUT", `Column name ${JSON.stringify(name)} must have 1–100 characters.`);
    }
    if (dtypeOf(array) === undefined) {
      throw new MaxsimError(
        "INVALID_INPUT",
        `Column ${JSON.stringify(name)} is not a supported typed array. Use Float32Array, Float64Array, Int8/16/32Array or Uint8/16/32Array.`,
      );
    }
  }
  if (data.payloads !== undefined && (!Array.isArray(data.payloads) || data.payloads.length !== data.ids.length)) {
    throw new MaxsimError(
      "INVALID_INPUT",
      `Segment payloads must be an array with one entry per id (${data.ids.length}), got ${Array.isArray(data.payloads) ? data.payloads.length : typeof data.payloads}.`,
    );
  }
}

/**
 * Serialises a segment into the file format above.
 *
 * @param data - the segment; validated with {@link validateSegmentData}.
 * @returns the bytes and the header CRC that the manifest stores to tie itself to this file.
 * @throws MaxsimError `INVALID_INPUT`, `DUPLICATE_ID`, `INVALID_ID`
 *
 * @example
 * ```ts
 * import { encodeSegment, decodeSegment } from "@maxsim/core";
 * const { bytes } = encodeSegment({ ids: ["a"], columns: { v: new Float32Array([1, 2]) } });
 * console.log(decodeSegment(bytes, "x.seg").columns.v); // Float32Array(2) [1, 2]
 * ```
 */
export function encodeSegment(data: SegmentData): EncodedSegment {
  validateSegmentData(data);
  const parts: { header: SectionHeader; bytes: Uint8Array }[] = [];
  let offset = 0;
  const push = (name: string, kind: SectionHeader["kind"], bytes: Uint8Array, length: number, dtype?: ColumnDtype) => {
    offset = align8(offset);
    const header: SectionHeader = { name, kind, offset, bytes: bytes.byteLength, length, crc32: crc32(bytes) };
    if (dtype !== undefined) header.dtype = dtype;
    parts.push({ header, bytes });
    offset += bytes.byteLength;
  };
  push("ids", "ids", encoder.encode(JSON.stringify(data.ids)), data.ids.length);
  if (data.payloads !== undefined) {
    const json = JSON.stringify(data.payloads, (_k, v: unknown) => (v === undefined ? null : v));
    push("payloads", "payloads", encoder.encode(json), data.payloads.length);
  }
  for (const [name, array] of Object.entries(data.columns)) {
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    push(name, "column", view, array.length, dtypeOf(array));
  }
  const header: SegmentHeader = {
    version: SEGMENT_VERSION,
    rows: data.ids.length,
    dataBytes: offset,
    sections: parts.map((p) => p.header),
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  const dataStart = align8(PREFIX + headerBytes.length);
  if (dataStart + offset > MAX_SEGMENT_BYTES) {
    throw new MaxsimError(
      "INVALID_INPUT",
      `A segment of ${dataStart + offset} bytes exceeds the ${MAX_SEGMENT_BYTES}-byte limit (Node reads files up to 2 GiB at once). Split the documents over several segments.`,
    );
  }
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  const headerCrc = crc32(headerBytes);
  view.setUint32(8, headerBytes.length, true);
  view.setUint32(12, headerCrc, true);
  out.set(headerBytes, PREFIX);
  for (const part of parts) out.set(part.bytes, dataStart + part.header.offset);
  return { bytes: out, headerCrc, rows: data.ids.length };
}

/** The parsed, checked header of a segment file and where its data starts. */
export interface SegmentLayout {
  readonly rows: number;
  readonly headerCrc: number;
  /** Total file size the header implies. */
  readonly fileBytes: number;
  readonly dataStart: number;
  readonly sections: readonly Readonly<SectionHeader>[];
}

const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks the header of a segment from its first bytes (at least `16 + L`).
 * Throws {@link IndexCorruptError} naming `file` on any damage and `INDEX_VERSION` for a newer
 * format.
 */
export function decodeSegmentLayout(head: Uint8Array, file: string, fileBytes?: number): SegmentLayout {
  if (head.length < PREFIX) throw new IndexCorruptError(file, `truncated: ${head.length} bytes, a segment header needs ${PREFIX}`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (head[i] !== MAGIC[i]) throw new IndexCorruptError(file, "bad magic bytes (not a maxsim segment file)");
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const length = view.getUint32(8, true);
  const expectedCrc = view.getUint32(12, true);
  if (PREFIX + length > head.length) {
    throw new IndexCorruptError(file, `truncated: header of ${length} bytes does not fit in ${head.length} bytes`);
  }
  const headerBytes = head.subarray(PREFIX, PREFIX + length);
  if (crc32(headerBytes) !== expectedCrc) throw new IndexCorruptError(file, "header checksum mismatch");
  let header: SegmentHeader;
  try {
    header = JSON.parse(decoder.decode(headerBytes)) as SegmentHeader;
  } catch (cause) {
    throw new IndexCorruptError(file, "header is not valid JSON", { cause });
  }
  if (typeof header !== "object" || header === null || !isUint(header.version)) {
    throw new IndexCorruptError(file, "header has no format version");
  }
  if (header.version > SEGMENT_VERSION) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `Segment ${file} has format version ${header.version}, but this @maxsim/core reads versions up to ${SEGMENT_VERSION}. Upgrade @maxsim/core to open this index.`,
    );
  }
  if (!isUint(header.rows) || !isUint(header.dataBytes) || !Array.isArray(header.sections)) {
    throw new IndexCorruptError(file, "header is missing rows, dataBytes or sections");
  }
  const dataStart = align8(PREFIX + length);
  const total = dataStart + header.dataBytes;
  if (fileBytes !== undefined && fileBytes !== total) {
    throw new IndexCorruptError(
      file,
      fileBytes < total ? `truncated: ${fileBytes} bytes, expected ${total}` : `${fileBytes - total} unexpected bytes after the end`,
    );
  }
  let end = 0;
  const names = new Set<string>();
  for (const s of header.sections) {
    const ok =
      typeof s === "object" &&
      s !== null &&
      typeof s.name === "string" &&
      (s.kind === "ids" || s.kind === "payloads" || (s.kind === "column" && typeof s.dtype === "string" && s.dtype in DTYPES)) &&
      isUint(s.offset) &&
      isUint(s.bytes) &&
      isUint(s.length) &&
      isUint(s.crc32) &&
      s.offset % 8 === 0 &&
      s.offset >= end &&
      s.offset + s.bytes <= header.dataBytes &&
      !names.has(`${s.kind}:${s.name}`);
    if (!ok) throw new IndexCorruptError(file, `invalid section table entry ${JSON.stringify(s)}`);
    if (s.kind === "column" && s.bytes !== s.length * DTYPES[s.dtype!].size) {
      throw new IndexCorruptError(file, `column ${s.name} has ${s.bytes} bytes for ${s.length} ${s.dtype} values`);
    }
    names.add(`${s.kind}:${s.name}`);
    end = s.offset + s.bytes;
  }
  if (end !== header.dataBytes) throw new IndexCorruptError(file, "section table does not cover the data");
  const ids = header.sections.filter((s) => s.kind === "ids");
  if (ids.length !== 1 || ids[0]!.length !== header.rows) throw new IndexCorruptError(file, "missing or inconsistent ids section");
  return { rows: header.rows, headerCrc: expectedCrc, fileBytes: total, dataStart, sections: header.sections };
}

/** Decodes a JSON array section after its CRC was checked. */
function decodeJsonArray(bytes: Uint8Array, file: string, what: string, length: number): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new IndexCorruptError(file, `${what} section is not valid JSON`, { cause });
  }
  if (!Array.isArray(value) || value.length !== length) throw new IndexCorruptError(file, `${what} section has the wrong length`);
  return value;
}

/** Checks the CRC of one section (bytes relative to the file start). */
function checkedSection(bytes: Uint8Array, layout: SegmentLayout, s: Readonly<SectionHeader>, file: string): Uint8Array {
  const start = layout.dataStart + s.offset;
  const slice = bytes.subarray(start, start + s.bytes);
  if (slice.length !== s.bytes) throw new IndexCorruptError(file, `truncated inside section ${s.name}`);
  if (crc32(slice) !== s.crc32) throw new IndexCorruptError(file, `checksum mismatch in section ${s.kind} ${s.name}`);
  return slice;
}

function idsFrom(slice: Uint8Array, layout: SegmentLayout, file: string): string[] {
  const ids = decodeJsonArray(slice, file, "ids", layout.rows);
  if (!ids.every((id) => typeof id === "string")) throw new IndexCorruptError(file, "ids section holds a non-string id");
  return ids as string[];
}

/** Decodes only the ids of a segment from its bytes up to the end of the ids section. */
export function decodeSegmentIds(bytes: Uint8Array, layout: SegmentLayout, file: string): string[] {
  const s = layout.sections.find((x) => x.kind === "ids")!;
  return idsFrom(checkedSection(bytes, layout, s, file), layout, file);
}

/**
 * Parses a whole segment file, checking every checksum, the padding and the size.
 *
 * @param bytes - the complete file content.
 * @param file - the file name used in errors.
 * @returns ids, columns (zero-copy views when `bytes` is 8-byte aligned) and payloads.
 * @throws IndexCorruptError naming `file` on any damage; MaxsimError `INDEX_VERSION` for a newer format.
 *
 * @example
 * ```ts
 * import { encodeSegment, decodeSegment } from "@maxsim/core";
 * const { bytes } = encodeSegment({ ids: ["a", "b"], columns: {}, payloads: [{ t: 1 }, null] });
 * console.log(decodeSegment(bytes, "x.seg").payloads); // [{ t: 1 }, null]
 * ```
 */
export function decodeSegment(bytes: Uint8Array, file: string): SegmentData {
  return decodeSegmentWithLayout(bytes, file).data;
}

/** {@link decodeSegment}, also returning the checked layout (header CRC for the manifest check). */
export function decodeSegmentWithLayout(bytes: Uint8Array, file: string): { data: SegmentData; layout: SegmentLayout } {
  const layout = decodeSegmentLayout(bytes, file, bytes.length);
  // Zero padding is part of the format, so a flipped padding byte is reported like any other.
  let cursor = PREFIX + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const checkZero = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (bytes[i] !== 0) throw new IndexCorruptError(file, `non-zero padding byte at offset ${i}`);
  };
  for (const s of layout.sections) {
    checkZero(cursor, layout.dataStart + s.offset);
    cursor = layout.dataStart + s.offset + s.bytes;
  }
  checkZero(cursor, bytes.length);
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const columns: Record<string, ColumnArray> = {};
  let ids: string[] = [];
  let payloads: unknown[] | undefined;
  for (const s of layout.sections) {
    const slice = checkedSection(aligned, layout, s, file);
    if (s.kind === "ids") ids = idsFrom(slice, layout, file);
    else if (s.kind === "payloads") payloads = decodeJsonArray(slice, file, "payloads", layout.rows);
    else columns[s.name] = DTYPES[s.dtype!].make(aligned.buffer as ArrayBuffer, aligned.byteOffset + layout.dataStart + s.offset, s.length);
  }
  return { data: payloads === undefined ? { ids, columns } : { ids, columns, payloads }, layout };
}
