/**
 * Residual quantiser bench, isolated from candidate generation: synthetic clustered corpus,
 * k-means centroids as `MaxSimIndex` trains them (≈ 4·√tokens, power of two), every token encoded
 * and decoded by each scheme, then exact MaxSim of the queries over the DECODED vectors (ORT
 * kernel) against exact MaxSim over the float32 originals. Per scheme, side by side: bytes/token
 * (with the 2-byte centroid id), MSE per coordinate and the Gaussian rate-distortion bound at the
 * same rate, mean cosine, score-error std per (query, doc), "rank err" (the error spread within
 * each query's exact top 100, which is what reorders documents), recall@10, decode and encode
 * speed (M values/s, one thread). Schemes: ColBERTv2's scalar codes (states before v2), the
 * anisotropic codec at several rates, product quantisation of x − c, and two rows that are not
 * codecs but an ideal Gaussian test channel at the 40-byte rate — what any MSE-optimal quantiser
 * at that budget could reach on this data. Then the exact top-10 margins, to compare with the errors.
 * Every residual row also re-encodes its decoded vectors and flags any byte that changes.
 *
 *   pnpm --filter @maxsim/core bench:codec [-- --docs 20000 --noise 0.6 --queries 50 --quick]
 *
 * `--quick` keeps the ColBERTv2 rows, residual-2 (and its 5³-grid variant), residual-4 and the bounds.
 */
import { parseArgs } from "node:util";
import { assignNearest, trainKMeans } from "../src/index/kmeans.js";
import {
  decodeResiduals,
  encodeResiduals,
  fitResidualQuantizer,
  residualBytes,
  type ResidualFitOptions,
  type ResidualQuantizer,
} from "../src/index/residual-codec.js";
import { gaussian, seededRandom, syntheticCorpus } from "../src/index/synthetic.js";
import { fromFloat16, toFloat16 } from "../src/storage/codecs/float16.js";
import { scoreFlatOrt } from "../src/scoring/ort-kernel.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    docs: { type: "string", default: "20000" },
    noise: { type: "string", default: "0.6" },
    queries: { type: "string", default: "50" },
    quick: { type: "boolean", default: false },
  },
});
const nDocs = Number(values.docs);
const noise = Number(values.noise);
const nQueries = Number(values.queries);
const dim = 128;
const K = 10;
const BUDGET = 40;

const os = await import("node:os");
const corpus = syntheticCorpus({ docs: nDocs, seed: 1, noise });
const tokens = corpus.offsets[nDocs]!;
const nCentroids = Math.max(16, 2 ** Math.round(Math.log2(4 * Math.sqrt(tokens)))); // as MaxSimIndex's defaultCentroids
console.log(
  `data: ${nDocs} docs, ${tokens} tokens, dim ${dim}, noise ${noise}; ${nCentroids} centroids; ${nQueries} queries × 32 tokens; load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
);
let t0 = performance.now();
const centroids = await trainKMeans(corpus.data, dim, { k: nCentroids, seed: 1234 });
const { codes, sims } = await assignNearest(corpus.data, dim, centroids);
console.log(`k-means + assignment: ${((performance.now() - t0) / 1000).toFixed(1)} s; mean cos(token, centroid) ${mean(sims).toFixed(4)}`);

// The index fits on a strided sample of ≈ 8192 tokens.
const stride = Math.max(1, Math.floor(tokens / 8192));
const rows: number[] = [];
for (let t = 0; t < tokens; t += stride) rows.push(t);
const sample = new Float32Array(rows.length * dim);
rows.forEach((t, i) => sample.set(corpus.data.subarray(t * dim, (t + 1) * dim), i * dim));
const sampleCodes = Int32Array.from(rows, (t) => codes[t]!);

// Residual statistics: variance per coordinate of x − c, of the coefficient along the centroid,
// and of the orthogonal part (what the anisotropic codec quantises).
let sumR = 0;
let sumO = 0;
const alphas = new Float64Array(tokens);
for (let t = 0; t < tokens; t++) {
  const co = codes[t]! * dim;
  let cx = 0;
  let cc = 0;
  let rr = 0;
  for (let d = 0; d < dim; d++) {
    const x = corpus.data[t * dim + d]!;
    const c = centroids[co + d]!;
    cx += c * x;
    cc += c * c;
    rr += (x - c) ** 2;
  }
  const alpha = cx / Math.sqrt(cc);
  alphas[t] = alpha;
  sumR += rr;
  sumO += 1 - alpha * alpha; // |x|² = 1
}
const varR = sumR / (tokens * dim);
const varO = sumO / (tokens * (dim - 1));
const alphaMean = mean(alphas);
const alphaStd = Math.sqrt(mean(alphas.map((a) => (a - alphaMean) ** 2)));
console.log(
  `residual x − c: variance per coordinate ${varR.toExponential(3)} (σ ${Math.sqrt(varR).toFixed(4)}); α = x·ĉ mean ${alphaMean.toFixed(4)} std ${alphaStd.toFixed(4)}; ` +
    `orthogonal part: variance per coordinate ${varO.toExponential(3)} (σ ${Math.sqrt(varO).toFixed(4)})`,
);

// Exact MaxSim over the originals: the truth.
const queries = corpus.queries(nQueries, 32, 7);
t0 = performance.now();
const exact = await scoreFlatOrt(queries, corpus);
console.log(`exact scoring (float32): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const truth = exact.map((s) => topK(s));
const margins = exact.map((s) => {
  const sorted = Float32Array.from(s).sort().reverse();
  return { m10: sorted[K - 1]! - sorted[K]!, m20: sorted[K - 1]! - sorted[2 * K - 1]!, top: sorted[0]! - sorted[K - 1]! };
});

interface Row {
  name: string;
  bytes: number;
  mse: number;
  rd: number;
  cos: number;
  errStd: number;
  errTop: number;
  recall: number;
  decode: string;
  encode: string;
}
const table: Row[] = [];
const decoded = new Float32Array(tokens * dim);

async function evaluate(name: string, bytes: number, decodeSpeed: string, encodeSpeed = "-"): Promise<void> {
  let se = 0;
  let cos = 0;
  for (let t = 0; t < tokens; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let d = 0; d < dim; d++) {
      const a = corpus.data[t * dim + d]!;
      const b = decoded[t * dim + d]!;
      se += (a - b) ** 2;
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    cos += ab / Math.sqrt(aa * bb);
  }
  const approx = await scoreFlatOrt(queries, { data: decoded, offsets: corpus.offsets, dim });
  let e1 = 0;
  let e2 = 0;
  let n = 0;
  let t2 = 0;
  let tn = 0;
  let recall = 0;
  approx.forEach((s, qi) => {
    const ex = exact[qi]!;
    for (let i = 0; i < nDocs; i++) {
      const e = s[i]! - ex[i]!;
      e1 += e;
      e2 += e * e;
      n++;
    }
    // Error near the cut, as ranking sees it: over the exact top 100, minus the query's mean
    // error there (a shift common to all candidates cannot reorder them).
    const top = topK(ex, 100);
    let m = 0;
    for (const i of top) m += s[i]! - ex[i]!;
    m /= top.length;
    for (const i of top) {
      t2 += (s[i]! - ex[i]! - m) ** 2;
      tn++;
    }
    const want = new Set(truth[qi]!);
    recall += topK(s).filter((i) => want.has(i)).length / K;
  });
  const bits = ((bytes - 2) * 8) / dim;
  table.push({
    name,
    bytes,
    mse: se / (tokens * dim),
    rd: varR * 2 ** (-2 * bits),
    cos: cos / tokens,
    errStd: Math.sqrt(e2 / n - (e1 / n) ** 2),
    errTop: Math.sqrt(t2 / tn),
    recall: recall / nQueries,
    decode: decodeSpeed,
    encode: encodeSpeed,
  });
  printRow(table[table.length - 1]!);
}

async function residualScheme(name: string, nbits: 2 | 4 | 8, options: ResidualFitOptions): Promise<ResidualQuantizer> {
  const q = fitResidualQuantizer(sample, sampleCodes, centroids, dim, nbits, options);
  const e0 = performance.now();
  const packed = encodeResiduals(q, corpus.data, codes, centroids);
  const encodeSpeed = `${((tokens * dim) / ((performance.now() - e0) / 1000) / 1e6).toFixed(0)} M/s`;
  // Decode speed: best of 3 full passes (the corpus is ≈ 0.5 GB decoded: memory-bound like a real exact search).
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const s = performance.now();
    decodeResiduals(q, packed, codes, centroids, 0, tokens, decoded);
    best = Math.min(best, performance.now() - s);
  }
  const speed = `${((tokens * dim) / (best / 1000) / 1e6).toFixed(0)} M/s`;
  // Drift: decode → encode → decode again.
  const again = encodeResiduals(q, decoded, codes, centroids);
  let changed = 0;
  for (let i = 0; i < packed.length; i++) if (again[i] !== packed[i]) changed++;
  await evaluate(
    `${name}${changed > 0 ? ` (re-encode changes ${((100 * changed) / packed.length).toFixed(2)}% bytes)` : ""}`,
    residualBytes(q) + 2,
    speed,
    encodeSpeed,
  );
  return q;
}

/**
 * Gaussian test channel at `bits` per coordinate (the rate-distortion bound D = σ²·2^(−2R) for
 * a Gaussian source): x̂ = (1 − D/σ²)·x + N(0, D·(1 − D/σ²)), independent per coordinate.
 * `anisotropic`: the coefficient along the centroid kept exact (it costs 8 bits) and the channel
 * applied to the `dim − 1` orthogonal coordinates of the reflected frame; otherwise to x − c.
 */
function rdChannel(bits: number, anisotropic: boolean): void {
  const normal = gaussian(seededRandom(99));
  const sigma2 = anisotropic ? varO : varR;
  const D = sigma2 * 2 ** (-2 * bits);
  const shrink = 1 - D / sigma2;
  const sd = Math.sqrt(D * shrink);
  for (let t = 0; t < tokens; t++) {
    const xo = t * dim;
    const co = codes[t]! * dim;
    if (!anisotropic) {
      for (let d = 0; d < dim; d++) {
        const c = centroids[co + d]!;
        decoded[xo + d] = c + shrink * (corpus.data[xo + d]! - c) + sd * normal();
      }
      continue;
    }
    // Orthogonal part u = x − (x·ĉ)ĉ; the channel noise is projected orthogonal to ĉ too.
    let cc = 0;
    let cx = 0;
    for (let d = 0; d < dim; d++) {
      cc += centroids[co + d]! ** 2;
      cx += centroids[co + d]! * corpus.data[xo + d]!;
    }
    let cn = 0;
    for (let d = 0; d < dim; d++) {
      const n = sd * normal();
      decoded[xo + d] = (corpus.data[xo + d]! - (cx / cc) * centroids[co + d]!) * shrink + n;
      cn += centroids[co + d]! * n;
    }
    for (let d = 0; d < dim; d++) decoded[xo + d]! += ((cx - cn) / cc) * centroids[co + d]!;
  }
}

const header = ["scheme", "B/token", "MSE/coord", "RD bound", "mean cos", "err std", "rank err", "recall@10", "decode", "encode"];
const widths = [58, 7, 9, 9, 8, 8, 8, 9, 8, 8];
console.log(`\n${header.map((h, i) => (i === 0 ? h.padEnd(widths[i]!) : h.padStart(widths[i]!))).join("  ")}`);
function printRow(r: Row): void {
  const cells = [
    r.name,
    String(r.bytes),
    r.mse.toExponential(2),
    r.rd > 0 ? r.rd.toExponential(2) : "-",
    r.cos.toFixed(4),
    r.errStd.toFixed(4),
    r.errTop.toFixed(4),
    r.recall.toFixed(3),
    r.decode,
    r.encode,
  ];
  console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
}

// float16 for reference.
{
  const half = toFloat16(corpus.data);
  const s = performance.now();
  fromFloat16(half, decoded);
  const speed = `${((tokens * dim) / ((performance.now() - s) / 1000) / 1e6).toFixed(0)} M/s`;
  await evaluate("float16", 2 * dim, speed);
  table[table.length - 1]!.rd = 0;
}
await residualScheme("scalar 2-bit (ColBERTv2, before v2)", 2, { scheme: "scalar" });
await residualScheme("scalar 4-bit (ColBERTv2, before v2)", 4, { scheme: "scalar" });
if (!values.quick) {
  await residualScheme("anisotropic α8 + 4-level orth", 2, { levels: 4 });
  await residualScheme("anisotropic α4 + 5-level orth", 2, { levels: 5, alphaBits: 4 });
}
await residualScheme("anisotropic α8 + 5-level orth (5³ grid, 7 bits)", 2, { levels: 5 });
await residualScheme("anisotropic α8 + 3-D VQ orth (128 codewords) = residual-2", 2, {});
if (!values.quick) {
  // Rates between the two settings: how many bytes recall 0.95 needs.
  await residualScheme("anisotropic α8 + 6-level orth (3 per byte)", 2, { levels: 6 });
  await residualScheme("anisotropic α8 + 8-level orth (3 bits)", 2, { levels: 8 });
  await residualScheme("anisotropic α8 + 16-level orth", 4, { alphaBits: 8 });
}
await residualScheme("anisotropic α4 + 16-level orth = residual-4", 4, {});
if (!values.quick) {
  // Vector quantisation rows (encode/decode simulated here, no packing; bytes = their packed size).
  // (a) PQ on x − c: 32 sub-vectors of 4 coordinates, 256 codewords each = 32 B (ColBERTv2's 2-bit size).
  {
    const sub = 4;
    const parts = dim / sub;
    const residual = (src: Float32Array, srcCodes: Int32Array, n: number, part: number): Float32Array => {
      const out = new Float32Array(n * sub);
      for (let t = 0; t < n; t++) {
        const co = srcCodes[t]! * dim + part * sub;
        for (let j = 0; j < sub; j++) out[t * sub + j] = src[t * dim + part * sub + j]! - centroids[co + j]!;
      }
      return out;
    };
    for (let part = 0; part < parts; part++) {
      const book = kmeansL2(residual(sample, sampleCodes, rows.length, part), sub, 256, 12, 7 + part);
      const assigned = await nearestL2(residual(corpus.data, codes, tokens, part), sub, book);
      for (let t = 0; t < tokens; t++) {
        const co = codes[t]! * dim + part * sub;
        const bo = assigned[t]! * sub;
        for (let j = 0; j < sub; j++) decoded[t * dim + part * sub + j] = centroids[co + j]! + book[bo + j]!;
      }
    }
    await evaluate("PQ on x − c: 32 × 4-D, 256 codewords each", 32 + 2, "-");
  }
}
{
  const bits = ((BUDGET - 2) * 8) / dim;
  rdChannel(bits, false);
  await evaluate(`RD bound channel on x − c, ${bits.toFixed(3)} b/coord (not a codec)`, BUDGET, "-");
  const obits = ((BUDGET - 3) * 8) / (dim - 1);
  rdChannel(obits, true);
  await evaluate(`RD: α exact + orth ${obits.toFixed(3)} b/coord (not a codec)`, BUDGET, "-");
  table[table.length - 1]!.rd = varO * 2 ** (-2 * obits);
}

const m10 = margins.map((m) => m.m10).sort((a, b) => a - b);
const m20 = margins.map((m) => m.m20).sort((a, b) => a - b);
console.log(
  `\nexact score margins over ${nQueries} queries (32 tokens, scores ≈ ${mean(truth.map((t, qi) => exact[qi]![t[0]!]!)).toFixed(2)} for the best doc): ` +
    `10th − 11th median ${m10[m10.length >> 1]!.toFixed(4)} (p25 ${m10[m10.length >> 2]!.toFixed(4)}), ` +
    `10th − 20th median ${m20[m20.length >> 1]!.toFixed(4)}. A document near the cut swaps with a neighbour when the rank error is comparable to these gaps.`,
);
console.log(
  "err std: score error over all (query, doc); rank err: over each query's exact top 100, minus that query's mean error there. MSE/coord is over all 128 coordinates of x; RD bound = σ²(x − c)·2^(−2R) at the scheme's residual rate R (for the α-exact row: σ² of the orthogonal coordinates at their rate).",
);

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / Math.max(1, xs.length);
}

function topK(scores: Float32Array, k = K): number[] {
  const idx = Array.from(scores.keys());
  // Partial selection: sort is fine for 20k–50k docs × 50 queries.
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);
}

/** Seeded L2 k-means (Lloyd) in JS, for the small codebooks of the VQ rows. */
function kmeansL2(points: Float32Array, d: number, k: number, iterations: number, seed: number): Float32Array {
  const n = points.length / d;
  const random = seededRandom(seed);
  const book = new Float32Array(k * d);
  const pickRow = (c: number): void => {
    const i = Math.floor(random() * n);
    book.set(points.subarray(i * d, i * d + d), c * d);
  };
  for (let c = 0; c < k; c++) pickRow(c);
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      let arg = 0;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let j = 0; j < d; j++) dist += (points[i * d + j]! - book[c * d + j]!) ** 2;
        if (dist < best) {
          best = dist;
          arg = c;
        }
      }
      assign[i] = arg;
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[assign[i]!]!++;
      for (let j = 0; j < d; j++) sums[assign[i]! * d + j]! += points[i * d + j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) pickRow(c);
      else for (let j = 0; j < d; j++) book[c * d + j] = sums[c * d + j]! / counts[c]!;
    }
  }
  return book;
}

/** Nearest codeword (L2) of each point, on the ORT inner-product kernel: argmax [x, 1]·[c, −|c|²/2]. */
async function nearestL2(points: Float32Array, d: number, book: Float32Array): Promise<Int32Array> {
  const n = points.length / d;
  const k = book.length / d;
  const x = new Float32Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    x.set(points.subarray(i * d, i * d + d), i * (d + 1));
    x[i * (d + 1) + d] = 1;
  }
  const c = new Float32Array(k * (d + 1));
  for (let j = 0; j < k; j++) {
    let nn = 0;
    for (let i = 0; i < d; i++) nn += book[j * d + i]! ** 2;
    c.set(book.subarray(j * d, j * d + d), j * (d + 1));
    c[j * (d + 1) + d] = -nn / 2;
  }
  return (await assignNearest(x, d + 1, c)).codes;
}
