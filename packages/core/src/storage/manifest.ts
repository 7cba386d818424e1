/**
 * The manifest: the one small file that says which segments and blobs make up an index at one
 * generation. Each commit writes a new immutable `manifest-<generation>.json` (generation
 * zero-padded to 10 digits) with an atomic rename; the rename is the commit point, and the newest
 * manifest in the directory is the index. Per-generation files (rather than one `MANIFEST`
 * overwritten in place) let a reader keep using the snapshot it opened while the writer commits,
 * and let the writer know exactly which older files a reader may still hold.
 *
 * File content is a JSON envelope whose prefix is fixed forever:
 * `{"format":"maxsim-index","crc32":"<8 hex>","manifest":<body>}\n`, the CRC covering the body's
 * exact bytes. The format version lives inside the body, so a newer version is recognised only
 * after the checksum proved the file intact.
 */
import { IndexCorruptError, MaxsimError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { isValidName } from "./names.js";

/**
 * Current manifest format version; manifests with a higher version give `INDEX_VERSION`.
 *
 * @example
 * ```ts
 * import { MANIFEST_VERSION } from "@maxsim/core";
 * console.log(MANIFEST_VERSION); // 1
 * ```
 */
export const MANIFEST_VERSION = 1;

/** One segment as the manifest records it. */
export interface SegmentEntry {
  /** Segment name (`seg-<generation>-<n>`), what {@link IndexStore.readSegment} takes. */
  readonly name: string;
  /** File name inside the index directory. */
  readonly file: string;
  /** File size in bytes. */
  readonly bytes: number;
  /** CRC-32 of the segment header (8 hex digits); the header holds every section's CRC. */
  readonly crc32: string;
  /** Number of ids in the segment, deleted ones included. */
  readonly rows: number;
  /** Tombstones: ids of this segment deleted by later commits. */
  readonly deleted: readonly string[];
  /** Free-form JSON the writer attached to the segment (token counts, codec parameters…). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** One named blob as the manifest records it. */
export interface BlobEntry {
  readonly file: string;
  readonly bytes: number;
  /** CRC-32 of the whole blob (8 hex digits). */
  readonly crc32: string;
}

/** A committed snapshot of an index. Treat it as read-only. */
export interface Manifest {
  readonly version: number;
  /** Commit counter: 0 after `create`, +1 per commit. */
  readonly generation: number;
  /** ISO time of the commit. */
  readonly committedAt: string;
  /** Vector dimension of the index. */
  readonly dim: number;
  /** Name of the vector codec (see `getCodec`). */
  readonly codec: string;
  readonly segments: readonly SegmentEntry[];
  readonly blobs: Readonly<Record<string, BlobEntry>>;
  /** Free-form JSON of the index owner (the Collection stores its model id and config here). */
  readonly meta: Readonly<Record<string, unknown>>;
}

const MANIFEST_FILE = /^manifest-(\d{10})\.json$/;

/**
 * File name of the manifest of `generation`.
 *
 * @example
 * ```ts
 * import { manifestFileName } from "@maxsim/core";
 * console.log(manifestFileName(42)); // manifest-0000000042.json
 * ```
 */
export function manifestFileName(generation: number): string {
  return `manifest-${String(generation).padStart(10, "0")}.json`;
}

/** The generation of a manifest file name, or `undefined` when `name` is not one. */
export function parseManifestFileName(name: string): number | undefined {
  const m = MANIFEST_FILE.exec(name);
  return m ? Number(m[1]) : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const PREFIX_A = '{"format":"maxsim-index","crc32":"';
const PREFIX_B = '","manifest":';
const SUFFIX = "}\n";

/** Serialises a manifest into its checksummed envelope. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  const body = encoder.encode(JSON.stringify(manifest, null, 1));
  const crc = crc32(body).toString(16).padStart(8, "0");
  const head = encoder.encode(PREFIX_A + crc + PREFIX_B);
  const tail = encoder.encode(SUFFIX);
  const out = new Uint8Array(head.length + body.length + tail.length);
  out.set(head, 0);
  out.set(body, head.length);
  out.set(tail, head.length + body.length);
  return out;
}

const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isHex8 = (v: unknown): v is string => typeof v === "string" && /^[0-9a-f]{8}$/.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses and checks a manifest file.
 *
 * @param bytes - the file content.
 * @param file - the file name used in errors.
 * @throws IndexCorruptError naming `file` on any damage (checksum, JSON, structure, a file name
 *   outside the safe alphabet); MaxsimError `INDEX_VERSION` for a newer format.
 */
export function decodeManifest(bytes: Uint8Array, file: string): Manifest {
  const headLength = PREFIX_A.length + 8 + PREFIX_B.length;
  if (bytes.length < headLength + SUFFIX.length) throw new IndexCorruptError(file, `truncated: ${bytes.length} bytes`);
  let head: string;
  let tail: string;
  try {
    head = decoder.decode(bytes.subarray(0, headLength));
    tail = decoder.decode(bytes.subarray(bytes.length - SUFFIX.length));
  } catch (cause) {
    throw new IndexCorruptError(file, "not UTF-8", { cause });
  }
  const crc = head.slice(PREFIX_A.length, PREFIX_A.length + 8);
  if (!head.startsWith(PREFIX_A) || !head.endsWith(PREFIX_B) || !isHex8(crc) || tail !== SUFFIX) {
    throw new IndexCorruptError(file, "bad envelope (not a maxsim manifest, or truncated)");
  }
  const body = bytes.subarray(headLength, bytes.length - SUFFIX.length);
  if (crc32(body).toString(16).padStart(8, "0") !== crc) throw new IndexCorruptError(file, "checksum mismatch");
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(decoder.decode(body)) as Record<string, unknown>;
  } catch (cause) {
    throw new IndexCorruptError(file, "body is not valid JSON", { cause });
  }
  if (!isObject(m) || !isUint(m.version)) throw new IndexCorruptError(file, "no format version");
  if (m.version > MANIFEST_VERSION) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `Index manifest ${file} has format version ${m.version}, but this @maxsim/core reads versions up to ${MANIFEST_VERSION}. Upgrade @maxsim/core to open this index.`,
    );
  }
  const bad = (what: string): never => {
    throw new IndexCorruptError(file, `invalid ${what}`);
  };
  if (!isUint(m.generation)) bad("generation");
  if (typeof m.committedAt !== "string") bad("committedAt");
  if (!isUint(m.dim) || m.dim === 0) bad("dim");
  if (typeof m.codec !== "string") bad("codec");
  if (!Array.isArray(m.segments)) bad("segments");
  if (!isObject(m.blobs)) bad("blobs");
  if (!isObject(m.meta)) bad("meta");
  const names = new Set<string>();
  for (const s of m.segments as unknown[]) {
    const ok =
      isObject(s) &&
      isValidName(s.name) &&
      isValidName(s.file) &&
      isUint(s.bytes) &&
      isHex8(s.crc32) &&
      isUint(s.rows) &&
      Array.isArray(s.deleted) &&
      s.deleted.every((id) => typeof id === "string") &&
      isObject(s.meta) &&
      !names.has(s.name);
    if (!ok) bad(`segment entry ${JSON.stringify(s)}`);
    names.add((s as { name: string }).name);
  }
  for (const [name, b] of Object.entries(m.blobs as Record<string, unknown>)) {
    if (!isValidName(name) || !isObject(b) || !isValidName(b.file) || !isUint(b.bytes) || !isHex8(b.crc32)) {
      bad(`blob entry ${JSON.stringify(name)}`);
    }
  }
  return m as unknown as Manifest;
}
