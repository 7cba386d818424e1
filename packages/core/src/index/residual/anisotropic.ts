/**
 * The anisotropic residual scheme (the default; see `../residual-codec.ts` for why and the
 * measurements): α = x·ĉ with its own Lloyd-Max codebook, and the `dim − 1` orthogonal
 * coordinates of the Householder frame in triples (3-D codebook or 5/6-level grid codes), or one
 * per code (4, 8, 16, 256 levels), a leftover tail taking 4-level codes.
 */
import { MaxsimError } from "../../errors.js";
import type { CentroidIds } from "../plaid.js";
import { frameOf, toFrame } from "./householder.js";
import { bucketOf, lloydMax, midpoints } from "./lloyd-max.js";
import type { ResidualDecoder, ResidualFitOptions, ResidualQuantizer } from "./quantizer.js";
import { trainVq, VQ, vqSearch } from "./vq-codebook.js";

export interface Layout {
  /** Coordinates per group code. */
  group: number;
  /** Bits per group code. */
  groupBits: number;
  /** Groups of orthogonal coordinates. */
  groups: number;
  /** Orthogonal coordinates after the groups (2-bit tail codes). */
  tail: number;
  alphaBits: number;
  bytes: number;
}

export function layoutOf(dim: number, levels: number, alphaBits: number): Layout {
  const m = Math.max(0, dim - 1);
  // 5 and 6 levels: three coordinates per code (5³ = 125 ≤ 2⁷, 6³ = 216 ≤ 2⁸); 128: a 3-D vector
  // codebook (7 bits per three coordinates); else one coordinate per code.
  const group = levels === 5 || levels === 6 || levels === VQ ? 3 : 1;
  const groupBits = levels === 5 || levels === VQ ? 7 : levels === 6 ? 8 : Math.log2(levels);
  const groups = Math.floor(m / group);
  const tail = m - groups * group;
  const bits = alphaBits + groups * groupBits + tail * 2;
  return { group, groupBits, groups, tail, alphaBits, bytes: Math.ceil(bits / 8) };
}

/** 8 bits for α, except 4 with 16-level codes: then α and 127 coordinates fill 64 bytes, as ColBERTv2's 4-bit codes did. */
export function defaultAlphaBits(nbits: number): number {
  return nbits === 4 ? 4 : 8;
}

export const LEVELS: readonly number[] = [4, 5, 6, 8, 16, 128, 256];

export function defaultLevels(nbits: number): 4 | 5 | 16 | 128 | 256 {
  return nbits === 2 ? VQ : nbits === 4 ? 16 : 256;
}

/** Fits the anisotropic scheme (`nbits` already validated); see `fitResidualQuantizer`. */
export function fitAnisotropic(
  vectors: Float32Array,
  codes: CentroidIds,
  centroids: Float32Array,
  dim: number,
  nbits: 2 | 4 | 8,
  options: ResidualFitOptions,
): ResidualQuantizer {
  const levels = options.levels ?? defaultLevels(nbits);
  const alphaBits = options.alphaBits ?? defaultAlphaBits(nbits);
  if (!LEVELS.includes(levels) || !Number.isInteger(alphaBits) || alphaBits < 1 || alphaBits > 8) {
    throw new MaxsimError(
      "INVALID_OPTION",
      `Residual levels must be 4, 5, 6, 8, 16, 128 or 256 and alphaBits 1–8 (got ${levels}, ${alphaBits}). Leave them unset for the defaults.`,
    );
  }
  const n = codes.length;
  const m = Math.max(0, dim - 1);
  const frame = frameOf(centroids, dim);
  const alphas = new Float32Array(n);
  const orth = new Float32Array(n * m);
  const y = new Float32Array(dim);
  for (let t = 0; t < n; t++) {
    alphas[t] = toFrame(vectors, t * dim, centroids, codes[t]!, frame, dim, y);
    orth.set(y.subarray(1), t * m);
  }
  const iterations = options.iterations ?? 25;
  const orthBook = levels === VQ ? { cutoffs: new Float32Array(0), weights: trainVq(orth, m, iterations) } : lloydMax(orth, levels, iterations);
  const alphaBook = lloydMax(alphas, 1 << alphaBits, iterations);
  const q: ResidualQuantizer = {
    nbits,
    dim,
    scheme: "anisotropic",
    cutoffs: orthBook.cutoffs,
    weights: orthBook.weights,
    levels,
    alphaBits,
    alphaCutoffs: alphaBook.cutoffs,
    alphaWeights: alphaBook.weights,
  };
  if (layoutOf(dim, levels, alphaBits).tail > 0) {
    const tailBook = lloydMax(orth, 4, iterations);
    q.tailCutoffs = tailBook.cutoffs;
    q.tailWeights = tailBook.weights;
  }
  return q;
}

export function encodeAnisotropic(q: ResidualQuantizer, data: Float32Array, codes: CentroidIds, centroids: Float32Array, out?: Uint8Array): Uint8Array {
  const dim = q.dim;
  const rows = codes.length;
  const L = layoutOf(dim, q.levels!, q.alphaBits!);
  const rb = L.bytes;
  const packed = out ?? new Uint8Array(rows * rb);
  const frame = frameOf(centroids, dim);
  const y = new Float32Array(dim);
  const aCut = q.alphaCutoffs!;
  const cut = q.cutoffs;
  const tCut = q.tailCutoffs;
  const levels = q.levels!;
  const vq = levels === VQ ? vqSearch(q) : null;
  for (let t = 0; t < rows; t++) {
    const alpha = toFrame(data, t * dim, centroids, codes[t]!, frame, dim, y);
    let p = t * rb;
    let acc = bucketOf(alpha, aCut);
    let nb = L.alphaBits;
    let d = 1;
    for (let g = 0; g < L.groups; g++) {
      let code: number;
      if (vq) {
        code = vq.nearest(y, d);
        d += 3;
      } else if (L.group === 3) {
        code = bucketOf(y[d]!, cut) + levels * (bucketOf(y[d + 1]!, cut) + levels * bucketOf(y[d + 2]!, cut));
        d += 3;
      } else code = bucketOf(y[d++]!, cut);
      acc |= code << nb;
      nb += L.groupBits;
      while (nb >= 8) {
        packed[p++] = acc & 255;
        acc >>>= 8;
        nb -= 8;
      }
    }
    for (let i = 0; i < L.tail; i++) {
      acc |= bucketOf(y[d++]!, tCut!) << nb;
      nb += 2;
      while (nb >= 8) {
        packed[p++] = acc & 255;
        acc >>>= 8;
        nb -= 8;
      }
    }
    if (nb > 0) packed[p] = acc & 255;
  }
  return packed;
}

// Group lookup tables: code → `group` decoded coordinates.
const tables = new WeakMap<ResidualQuantizer, Float32Array>();

function groupTable(q: ResidualQuantizer): Float32Array {
  let lut = tables.get(q);
  if (lut) return lut;
  const w = q.weights;
  const L = q.levels!;
  if (L === VQ) lut = Float32Array.from(w);
  else if (L === 5 || L === 6) {
    lut = new Float32Array(256 * 3);
    for (let code = 0; code < L * L * L; code++) {
      lut[code * 3] = w[code % L]!;
      lut[code * 3 + 1] = w[Math.floor(code / L) % L]!;
      lut[code * 3 + 2] = w[Math.floor(code / (L * L))]!;
    }
  } else lut = Float32Array.from(w);
  tables.set(q, lut);
  return lut;
}

const byteTables = new WeakMap<ResidualQuantizer, Float32Array>();

/** For 1-coordinate codes of 2, 4 or 8 bits: byte → its `8 / bits` decoded coordinates, low bits first. */
function byteTable(q: ResidualQuantizer): Float32Array {
  let bt = byteTables.get(q);
  if (bt) return bt;
  const bits = Math.log2(q.levels!);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  bt = new Float32Array(256 * per);
  for (let b = 0; b < 256; b++) for (let j = 0; j < per; j++) bt[b * per + j] = q.weights[(b >> (j * bits)) & mask]!;
  byteTables.set(q, bt);
  return bt;
}

export const decodeAnisotropic: ResidualDecoder = (q, packed, codes, centroids, from, to, out, outRow = 0) => {
  const dim = q.dim;
  const L = layoutOf(dim, q.levels!, q.alphaBits!);
  const rb = L.bytes;
  const frame = frameOf(centroids, dim);
  const lut = groupTable(q);
  const aw = q.alphaWeights!;
  const tw = q.tailWeights;
  const aMask = (1 << L.alphaBits) - 1;
  const gMask = (1 << L.groupBits) - 1;
  const gb = L.groupBits;
  for (let t = from; t < to; t++) {
    const code = codes[t]!;
    const co = code * dim;
    const oo = (outRow + t - from) * dim;
    let p = t * rb;
    let acc = 0;
    let nb = 0;
    while (nb < L.alphaBits) {
      acc |= packed[p++]! << nb;
      nb += 8;
    }
    const a = frame.a[code]!;
    // y₀ = −sign(c₀)·α; the rest are orthogonal coordinates in the reflected frame.
    const y0 = -(a >= 0 ? 1 : -1) * aw[acc & aMask]!;
    acc >>>= L.alphaBits;
    nb -= L.alphaBits;
    out[oo] = y0;
    let cy = 0;
    let d = oo + 1;
    let c = co + 1;
    if (L.group === 3) {
      for (let g = 0; g < L.groups; g++) {
        if (nb < gb) {
          acc |= packed[p++]! << nb;
          nb += 8;
        }
        const k = (acc & gMask) * 3;
        acc >>>= gb;
        nb -= gb;
        const v0 = lut[k]!;
        const v1 = lut[k + 1]!;
        const v2 = lut[k + 2]!;
        out[d] = v0;
        out[d + 1] = v1;
        out[d + 2] = v2;
        cy += centroids[c]! * v0 + centroids[c + 1]! * v1 + centroids[c + 2]! * v2;
        d += 3;
        c += 3;
      }
    } else {
      // One coordinate per code, read bit by bit; when a byte holds whole codes (2, 4 or 8 bits)
      // and the reader is byte-aligned, one byte-table row gives 8 / groupBits coordinates at once.
      const per = 8 % gb === 0 ? 8 / gb : 0;
      const bt = per > 0 ? byteTable(q) : null;
      for (let g = 0; g < L.groups; ) {
        if (bt !== null && nb === 0 && L.groups - g >= per) {
          // Whole bytes in one inner loop (4-bit codes unrolled: residual-4's hot path).
          const full = Math.floor((L.groups - g) / per);
          if (per === 2) {
            for (let x = 0; x < full; x++) {
              const k = packed[p++]! * 2;
              const v0 = bt[k]!;
              const v1 = bt[k + 1]!;
              out[d] = v0;
              out[d + 1] = v1;
              cy += centroids[c]! * v0 + centroids[c + 1]! * v1;
              d += 2;
              c += 2;
            }
          } else {
            for (let x = 0; x < full * per; x += per) {
              const k = packed[p++]! * per;
              for (let j = 0; j < per; j++) {
                const v = bt[k + j]!;
                out[d++] = v;
                cy += centroids[c++]! * v;
              }
            }
          }
          g += full * per;
          continue;
        }
        if (nb < gb) {
          acc |= packed[p++]! << nb;
          nb += 8;
        }
        const v = lut[acc & gMask]!;
        acc >>>= gb;
        nb -= gb;
        out[d++] = v;
        cy += centroids[c++]! * v;
        g++;
      }
    }
    for (let i = 0; i < L.tail; i++) {
      if (nb < 2) {
        acc |= packed[p++]! << nb;
        nb += 8;
      }
      const v = tw![acc & 3]!;
      acc >>>= 2;
      nb -= 2;
      out[d++] = v;
      cy += centroids[c++]! * v;
    }
    // x = H·y = y − f·(v·y)·v with v = c + a·e₁.
    cy += centroids[co]! * y0;
    const s = frame.f[code]! * (cy + a * y0);
    for (let i = 0; i < dim; i++) out[oo + i]! -= s * centroids[co + i]!;
    out[oo]! -= s * a;
  }
  return out;
};

export const STATE_VERSION = 2;

/** The anisotropic state's JSON (`version: 2`). */
export function anisotropicStateJson(q: ResidualQuantizer): Record<string, unknown> {
  return {
    version: STATE_VERSION,
    scheme: "anisotropic",
    nbits: q.nbits,
    dim: q.dim,
    levels: q.levels,
    alphaBits: q.alphaBits,
    weights: [...q.weights],
    alphaWeights: [...q.alphaWeights!],
    ...(q.tailWeights ? { tailWeights: [...q.tailWeights] } : {}),
  };
}

/** Parsed JSON of a versioned state. */
export interface AnisotropicStateJson {
  version: number;
  scheme?: string;
  nbits: 2 | 4 | 8;
  dim: number;
  weights: number[];
  levels?: number;
  alphaBits?: number;
  alphaWeights?: number[];
  tailWeights?: number[];
}

/**
 * An anisotropic quantiser from its JSON.
 *
 * @throws MaxsimError `INDEX_VERSION` for a newer version, `INDEX_CORRUPT` for a malformed state
 */
export function anisotropicFromJson(o: AnisotropicStateJson): ResidualQuantizer {
  if (o.version > STATE_VERSION) {
    throw new MaxsimError(
      "INDEX_VERSION",
      `The residual quantizer state has version ${o.version}, newer than this maxsim reads (${STATE_VERSION}). Upgrade @maxsim/core.`,
    );
  }
  const levels = o.levels ?? 0;
  const alphaBits = o.alphaBits ?? 0;
  if (
    o.scheme !== "anisotropic" ||
    !LEVELS.includes(levels) ||
    o.weights.length !== (levels === VQ ? VQ * 3 : levels) ||
    o.alphaWeights?.length !== 1 << alphaBits
  ) {
    throw new MaxsimError("INDEX_CORRUPT", "The residual quantizer state is malformed (scheme, levels or codebook sizes). Rebuild the index.");
  }
  if (layoutOf(o.dim, levels, alphaBits).tail > 0 && o.tailWeights?.length !== 4) {
    throw new MaxsimError("INDEX_CORRUPT", "The residual quantizer state lacks its 4-level tail codebook. Rebuild the index.");
  }
  const weights = Float32Array.from(o.weights);
  const alphaWeights = Float32Array.from(o.alphaWeights);
  const q: ResidualQuantizer = {
    nbits: o.nbits,
    dim: o.dim,
    scheme: "anisotropic",
    cutoffs: levels === VQ ? new Float32Array(0) : midpoints(weights),
    weights,
    levels,
    alphaBits,
    alphaCutoffs: midpoints(alphaWeights),
    alphaWeights,
  };
  if (o.tailWeights) {
    q.tailWeights = Float32Array.from(o.tailWeights);
    q.tailCutoffs = midpoints(q.tailWeights);
  }
  return q;
}
