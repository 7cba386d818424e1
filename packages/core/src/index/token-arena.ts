/**
 * The token vectors of a `MaxSimIndex` in memory, kept in the codec's stored form: float32,
 * float16 bits, or packed residuals beside the index's centroid ids. Memory per token then
 * matches the bytes on disk (4·dim, 2·dim, or the residual bytes + the id) instead of a float32
 * copy of everything, and the segment columns a commit writes are slices of the arena, so what is
 * in memory is by construction what a reopened index reads.
 *
 * Rows are decoded on demand: block by block for the exact kernel (float16 blocks go to ONNX
 * Runtime as they are and are cast in the graph), and row ranges for rescoring candidates, `get`
 * and `explain`. Rows are appended at the end and moved down by compaction; the arena does not
 * know documents (the index keeps offsets).
 */
import { fromFloat16, toFloat16 } from "../storage/codecs/float16.js";
import type { ColumnArray } from "../storage/segment.js";
import type { RowReader } from "./kmeans.js";
import type { CentroidIds } from "./plaid.js";
import { decodeResiduals, encodeResiduals, residualBytes, type ResidualQuantizer } from "./residual-codec.js";
import { type AlphaView, FloatAlphaCache, packedAlphaView, UNIT_ALPHA } from "./token-alpha.js";

/** Encoded token rows; see the module comment. */
export abstract class TokenArena implements RowReader {
  /** Rows stored (appended and not truncated). */
  rows = 0;

  constructor(readonly dim: number) {}

  /** Stored bytes per row. */
  abstract readonly bytesPerRow: number;

  /** Encodes and appends `vectors.length / dim` rows; `codes` are their centroid ids (null while untrained). */
  abstract append(vectors: Float32Array, codes: CentroidIds | null): void;

  /**
   * Appends `rows` rows from segment columns already in this arena's form (no re-encoding), or
   * returns `false` when the columns hold another form (the caller decodes and appends).
   */
  abstract appendColumns(columns: Readonly<Record<string, ColumnArray>>, rows: number): boolean;

  /** Segment columns of rows `[from, to)`: copies, in the form {@link TokenArena.appendColumns} reads. */
  abstract columns(from: number, to: number): Record<string, ColumnArray>;

  /** Decodes rows `[from, to)` into `out` from row `outRow`. */
  abstract decode(from: number, to: number, out: Float32Array, outRow?: number): Float32Array;

  /** Rows `[from, to)` for a scoring kernel: a float32 view, float16 bits, or decoded into `scratch()`. */
  abstract block(from: number, to: number, scratch: () => Float32Array): Float32Array | Uint16Array;

  /** Moves rows `[start, end)` to row `target` (≤ start), as `copyWithin`. */
  abstract copyWithin(target: number, start: number, end: number): void;

  /** Makes room for `rows` rows in all (loading: one exact allocation instead of doublings). */
  abstract reserve(rows: number): void;

  /**
   * Each row's coefficient along its centroid (`codes` into `centroids`), for the α-weighted
   * centroid interaction (`token-alpha.ts`), for rows `[0, rows)`: the rows whose ids `codes`
   * holds (an add appends rows before it registers their ids). Valid until the next write.
   * Float rows: α bytes computed on first use; residual rows carry α in their codes (overridden).
   */
  alphas(codes: CentroidIds, centroids: Float32Array, rows: number): AlphaView {
    return this.alphaCache.view(Math.min(rows, this.rows), this.dim, codes, centroids, (from, to, out) => this.decode(from, to, out));
  }

  protected readonly alphaCache = new FloatAlphaCache();

  /** Forgets rows from `rows` on (a failed commit, or the tail left by compaction). */
  truncate(rows: number): void {
    this.rows = Math.min(this.rows, rows);
    this.alphaCache.dropFrom(rows);
  }

  /** Bytes of the stored rows. */
  get bytes(): number {
    return this.rows * this.bytesPerRow;
  }

  copyRow(row: number, out: Float32Array, outRow: number): void {
    this.decode(row, row + 1, out, outRow);
  }
}

/** `a` with capacity for exactly `n` elements when it holds fewer (keeps its first `used`). */
function reserved<T extends Float32Array | Uint16Array | Uint8Array>(a: T, n: number, used: number, make: (n: number) => T): T {
  if (n <= a.length) return a;
  const next = make(n);
  next.set(a.subarray(0, used));
  return next;
}

/** Grows `a` (by doubling) to hold at least `n` elements, keeping its first `used`. */
function grown<T extends Float32Array | Uint16Array | Uint8Array>(a: T, n: number, used: number, make: (n: number) => T): T {
  if (n <= a.length) return a;
  const next = make(Math.max(n, 2 * a.length, 1024));
  next.set(a.subarray(0, used));
  return next;
}

/** Exact float32 rows (the `float32` codec, and residual codecs before training). */
export class Float32Arena extends TokenArena {
  private data = new Float32Array(0);
  get bytesPerRow(): number {
    return 4 * this.dim;
  }
  append(vectors: Float32Array): void {
    const n = vectors.length / this.dim;
    this.data = grown(this.data, (this.rows + n) * this.dim, this.rows * this.dim, (m) => new Float32Array(m));
    this.data.set(vectors, this.rows * this.dim);
    this.rows += n;
  }
  reserve(rows: number): void {
    this.data = reserved(this.data, rows * this.dim, this.rows * this.dim, (m) => new Float32Array(m));
  }
  appendColumns(columns: Readonly<Record<string, ColumnArray>>, rows: number): boolean {
    const v = columns["vectors"];
    if (!(v instanceof Float32Array) || v.length !== rows * this.dim) return false;
    this.append(v);
    return true;
  }
  columns(from: number, to: number): Record<string, ColumnArray> {
    return { vectors: this.data.slice(from * this.dim, to * this.dim) };
  }
  decode(from: number, to: number, out: Float32Array, outRow = 0): Float32Array {
    out.set(this.data.subarray(from * this.dim, to * this.dim), outRow * this.dim);
    return out;
  }
  block(from: number, to: number): Float32Array {
    return this.data.subarray(from * this.dim, to * this.dim);
  }
  copyWithin(target: number, start: number, end: number): void {
    this.data.copyWithin(target * this.dim, start * this.dim, end * this.dim);
    if (target !== start) this.alphaCache.dropFrom(target);
  }
}

/** float16 rows (the `float16` codec): half the memory of float32; the kernel casts in-graph. */
export class Float16Arena extends TokenArena {
  private bits = new Uint16Array(0);
  get bytesPerRow(): number {
    return 2 * this.dim;
  }
  append(vectors: Float32Array): void {
    const n = vectors.length / this.dim;
    this.bits = grown(this.bits, (this.rows + n) * this.dim, this.rows * this.dim, (m) => new Uint16Array(m));
    toFloat16(vectors, this.bits.subarray(this.rows * this.dim, (this.rows + n) * this.dim));
    this.rows += n;
  }
  reserve(rows: number): void {
    this.bits = reserved(this.bits, rows * this.dim, this.rows * this.dim, (m) => new Uint16Array(m));
  }
  appendColumns(columns: Readonly<Record<string, ColumnArray>>, rows: number): boolean {
    const v = columns["vectors"];
    if (!(v instanceof Uint16Array) || v.length !== rows * this.dim) return false;
    this.bits = grown(this.bits, (this.rows + rows) * this.dim, this.rows * this.dim, (m) => new Uint16Array(m));
    this.bits.set(v, this.rows * this.dim);
    this.rows += rows;
    return true;
  }
  columns(from: number, to: number): Record<string, ColumnArray> {
    return { vectors: this.bits.slice(from * this.dim, to * this.dim) };
  }
  decode(from: number, to: number, out: Float32Array, outRow = 0): Float32Array {
    fromFloat16(this.bits.subarray(from * this.dim, to * this.dim), out.subarray(outRow * this.dim, (outRow + to - from) * this.dim));
    return out;
  }
  block(from: number, to: number): Uint16Array {
    return this.bits.subarray(from * this.dim, to * this.dim);
  }
  /** Copies rows `[from, to)` as stored (float16 bits) into `out` from row `outRow`. */
  copyBits(from: number, to: number, out: Uint16Array, outRow: number): void {
    out.set(this.bits.subarray(from * this.dim, to * this.dim), outRow * this.dim);
  }
  copyWithin(target: number, start: number, end: number): void {
    this.bits.copyWithin(target * this.dim, start * this.dim, end * this.dim);
    if (target !== start) this.alphaCache.dropFrom(target);
  }
}

/**
 * PLAID residual rows: packed residual bytes per row; the centroid ids live in the index (every
 * trained index needs them for its inverted lists), read through `codes` at decode time.
 */
export class ResidualArena extends TokenArena {
  private packed = new Uint8Array(0);
  private readonly rowBytes: number;

  constructor(
    dim: number,
    readonly quantizer: ResidualQuantizer,
    readonly centroids: Float32Array,
    /**
     * The index's centroid ids of every row. A function, because the index grows and replaces
     * that array; an index that adopts this arena from another (a reader's refresh) rebinds it.
     */
    public codesOf: () => CentroidIds,
  ) {
    super(dim);
    this.rowBytes = residualBytes(quantizer);
  }
  get bytesPerRow(): number {
    return this.rowBytes;
  }
  append(vectors: Float32Array, codes: CentroidIds | null): void {
    if (codes === null) throw new Error("ResidualArena.append needs centroid ids"); // an index bug, not user input
    const n = codes.length;
    const rb = this.rowBytes;
    this.packed = grown(this.packed, (this.rows + n) * rb, this.rows * rb, (m) => new Uint8Array(m));
    const out = this.packed.subarray(this.rows * rb, (this.rows + n) * rb);
    out.fill(0); // encoding ORs bits in; compaction may have left old rows here
    encodeResiduals(this.quantizer, vectors, codes, this.centroids, out);
    this.rows += n;
  }
  reserve(rows: number): void {
    this.packed = reserved(this.packed, rows * this.rowBytes, this.rows * this.rowBytes, (m) => new Uint8Array(m));
  }
  appendColumns(columns: Readonly<Record<string, ColumnArray>>, rows: number): boolean {
    const v = columns["residuals"];
    if (!(v instanceof Uint8Array) || v.length !== rows * this.rowBytes) return false;
    const rb = this.rowBytes;
    this.packed = grown(this.packed, (this.rows + rows) * rb, this.rows * rb, (m) => new Uint8Array(m));
    this.packed.set(v, this.rows * rb);
    this.rows += rows;
    return true;
  }
  columns(from: number, to: number): Record<string, ColumnArray> {
    return { residuals: this.packed.slice(from * this.rowBytes, to * this.rowBytes) };
  }
  decode(from: number, to: number, out: Float32Array, outRow = 0): Float32Array {
    return decodeResiduals(this.quantizer, this.packed, this.codesOf(), this.centroids, from, to, out, outRow);
  }
  block(from: number, to: number, scratch: () => Float32Array): Float32Array {
    return this.decode(from, to, scratch(), 0);
  }
  copyWithin(target: number, start: number, end: number): void {
    this.packed.copyWithin(target * this.rowBytes, start * this.rowBytes, end * this.rowBytes);
  }
  override alphas(): AlphaView {
    const q = this.quantizer;
    // Scalar states (before the anisotropic scheme) hold no α: the plain interaction.
    if (q.scheme !== "anisotropic" || q.alphaWeights === undefined || q.alphaBits === undefined) return UNIT_ALPHA;
    return packedAlphaView(this.packed, this.rowBytes, q.alphaBits, q.alphaWeights);
  }
}
