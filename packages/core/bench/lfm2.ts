/**
 * LFM2-ColBERT-350M throughput on the full-size random checkpoint (the real config's shapes):
 * tokens/s for documents (~300 tokens) and queries (32 tokens, expansion unattended) at 1 and 2
 * intra-op threads, f32 and int8 (kernels per MatMul kind: `LFM2_INT8_KERNELS`; `INT8_VARIANTS`
 * adds graphs with one kernel everywhere), interleaved and repeated (`ROUNDS`), with the worst
 * per-token cosine of each int8 graph against f32 on the document batch, beside a BERT-base-shaped ONNX model (12 layers,
 * hidden 768, ~110M parameters) on the same token batches, plus the achieved GFLOP/s against
 * this machine's measured MatMul peak. Raw `session.run` on pre-built batches: tokenisation
 * and the encoder's bookkeeping are measured by `bench/encode.ts`.
 *
 * Run: `pnpm --filter @maxsim/core exec tsx --conditions=@maxsim/source bench/lfm2.ts [checkpointDir] [seconds per cell]`
 * The checkpoint is generated (~700 MB, a few minutes) when the directory does not exist yet.
 * Not a test: numbers depend on the machine and on what else runs on it.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { makeLfm2Checkpoint } from "../scripts/make-lfm2-checkpoint.js";
import { bertLikeGraph } from "../src/fixtures/graphs.js";
import { ensureLfm2Onnx } from "../src/model/lfm2/build-cache.js";
import type { Lfm2Config } from "../src/model/lfm2/config.js";
import { LFM2_INT8_KERNELS, type Lfm2Int8Kernel, type Lfm2MatMulKind } from "../src/model/lfm2/build-graph.js";
import { DataType, GraphBuilder, floatTensor } from "../src/onnx/graph-builder.js";
import { Prng } from "../src/fixtures/prng.js";

const work = join(tmpdir(), "maxsim-lfm2-bench");
const dir = process.argv[2] ?? join(work, "LFM2-ColBERT-350M-random");
const SECONDS = Number(process.argv[3] ?? 20);
const cacheDir = join(work, "cache");
await mkdir(work, { recursive: true });

if (!existsSync(join(dir, "model.safetensors"))) {
  console.log(`generating the full-size random checkpoint in ${dir} …`);
  await makeLfm2Checkpoint(dir, { preset: "full" });
}

/** Forward FLOPs per token at sequence length S (2 per multiply-add, attention scores and context included). */
function lfm2FlopsPerToken(c: Lfm2Config, S: number, dim: number): number {
  const H = c.hiddenSize;
  let f = 0;
  for (const kind of c.layerTypes) {
    if (kind === "conv") f += 2 * (3 * H * H + H * H) + 2 * H * c.convLCache;
    else
      f +=
        2 * (H * (c.numAttentionHeads + 2 * c.numKeyValueHeads) * c.headDim + c.numAttentionHeads * c.headDim * H) +
        2 * 2 * S * c.numAttentionHeads * c.headDim;
    f += 2 * 3 * H * c.ffnDim;
  }
  return f + 2 * H * dim;
}

function bertFlopsPerToken(layers: number, H: number, ffn: number, S: number, dim: number): number {
  return layers * (2 * 4 * H * H + 2 * 2 * H * ffn + 2 * 2 * S * H) + 2 * H * dim;
}

interface Batch {
  feeds: (names: readonly string[]) => Record<string, ort.Tensor>;
  tokens: number;
  label: string;
}

function batch(label: string, B: number, S: number, real: (b: number) => number, vocab: number, keepAll: boolean): Batch {
  const rng = new Prng(label);
  const ids = new BigInt64Array(B * S);
  const mask = new BigInt64Array(B * S);
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    const n = real(b);
    for (let t = 0; t < S; t++) {
      ids[b * S + t] = BigInt(t === 0 ? 1 : t < n ? 300 + Math.floor(rng.uniform() * (vocab - 400)) : 7);
      mask[b * S + t] = t < n ? 1n : 0n;
    }
    tokens += keepAll ? S : n; // queries keep every position (expansion included), documents their real tokens
  }
  return {
    label,
    tokens,
    feeds: (names) => {
      const out: Record<string, ort.Tensor> = {};
      for (const name of names) {
        out[name] = new ort.Tensor("int64", name === "input_ids" ? ids : name === "attention_mask" ? mask : new BigInt64Array(B * S), [B, S]);
      }
      return out;
    },
  };
}

async function throughput(session: ort.InferenceSession, b: Batch, seconds: number): Promise<number> {
  const feeds = b.feeds(session.inputNames);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || runs < 2) {
    await session.run(feeds);
    runs++;
  }
  return (runs * b.tokens) / ((performance.now() - t0) / 1000);
}

async function matmulPeak(threads: number): Promise<number> {
  const [M, K, N] = [512, 1024, 4096];
  const g = new GraphBuilder("peak");
  g.input("a", DataType.FLOAT, [M, K]);
  g.initializer("w", floatTensor(new Prng("peak").fillNormal(new Float32Array(K * N), 0.02), [K, N]));
  g.node("MatMul", ["a", "w"], ["y"]);
  g.output("y", DataType.FLOAT, [M, N]);
  const s = await ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: threads });
  const a = new ort.Tensor("float32", new Prng("a").fillNormal(new Float32Array(M * K)), [M, K]);
  await s.run({ a });
  let best = 0;
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await s.run({ a });
    best = Math.max(best, (2 * M * K * N) / ((performance.now() - t0) / 1000) / 1e9);
  }
  await s.release();
  return best;
}

const S_DOC = 300;
const S_Q = 32;
const DOC_BATCH = Number(process.env.DOC_BATCH ?? 8);
const docs = (vocab: number) => batch("documents", DOC_BATCH, S_DOC, (b) => S_DOC - ((b * 13) % 40), vocab, false);
const queries = (vocab: number) => batch("queries", 32, S_Q, (b) => 6 + (b % 10), vocab, true);

console.log(
  `machine: ${(await import("node:os")).cpus().length} logical CPUs, load average ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
const peaks = [await matmulPeak(1), await matmulPeak(2)];
console.log(`MatMul peak (512×1024·1024×4096, best of 8): ${peaks[0]!.toFixed(1)} GFLOP/s at 1 thread, ${peaks[1]!.toFixed(1)} at 2`);

const rows: string[] = [];
const t0 = performance.now();
const f32 = await ensureLfm2Onnx(dir, { cacheDir, onProgress: (m) => console.log(`  ${m}`) });
const int8 = await ensureLfm2Onnx(dir, { cacheDir, int8: true, onProgress: (m) => console.log(`  ${m}`) });
// Optional extra int8 variants, ";"-separated: a kernel name ("token") puts it on every MatMul
// kind; "ffnUp:token,ffnDown:token" sets those kinds and leaves the others float.
const variants = (process.env.INT8_VARIANTS ?? "").split(";").filter((v) => v.length > 0);
const extra = [];
for (const v of variants) {
  const kinds = Object.keys(LFM2_INT8_KERNELS) as Lfm2MatMulKind[];
  const kernels = Object.fromEntries(kinds.map((k) => [k, v.includes(":") ? "float" : v])) as Record<Lfm2MatMulKind, Lfm2Int8Kernel>;
  if (v.includes(":")) for (const part of v.split(",")) kernels[part.split(":")[0] as Lfm2MatMulKind] = part.split(":")[1] as Lfm2Int8Kernel;
  extra.push({
    name: `int8 ${v}`,
    path: (await ensureLfm2Onnx(dir, { cacheDir, int8: true, int8Kernels: kernels, onProgress: (m) => console.log(`  ${m}`) })).path,
  });
}
console.log(`graphs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; int8 kernels ${JSON.stringify(LFM2_INT8_KERNELS)}`);
const lfmDocFlops = lfm2FlopsPerToken(f32.config, S_DOC, f32.dim);
const lfmQFlops = lfm2FlopsPerToken(f32.config, S_Q, f32.dim);
console.log(`LFM2 forward: ${(lfmDocFlops / 1e9).toFixed(3)} GFLOP/token at S=${S_DOC}, ${(lfmQFlops / 1e9).toFixed(3)} at S=${S_Q}`);

const bertPath = join(work, "bert-base-like.onnx");
const withBert = process.env.BERT !== "0";
if (withBert && !existsSync(bertPath))
  await bertLikeGraph({ layers: 12, hidden: 768, heads: 12, ffn: 3072, vocab: 30522, tokenTypeIds: true, seed: "bert-base" }).save(bertPath);
const bertDocFlops = bertFlopsPerToken(12, 768, 3072, S_DOC, 128);
const bertQFlops = bertFlopsPerToken(12, 768, 3072, S_Q, 128);

const models = [
  { name: "LFM2-ColBERT f32", path: f32.path, vocab: 65536, flops: [lfmDocFlops, lfmQFlops] },
  { name: "LFM2-ColBERT int8", path: int8.path, vocab: 65536, flops: [lfmDocFlops, lfmQFlops] },
  ...extra.map((e) => ({ ...e, vocab: 65536, flops: [lfmDocFlops, lfmQFlops] })),
  ...(withBert ? [{ name: "BERT-base-like f32", path: bertPath, vocab: 30522, flops: [bertDocFlops, bertQFlops] }] : []),
];

/** Worst per-token cosine of `b` against `a` over the kept rows of a document batch. */
function worstCosine(a: Float32Array, b: Float32Array, dim: number, keep: (row: number) => boolean): number {
  let worst = 1;
  for (let r = 0; r < a.length / dim; r++) {
    if (!keep(r)) continue;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < dim; c++) {
      const x = a[r * dim + c]!;
      const y = b[r * dim + c]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    worst = Math.min(worst, dot / Math.sqrt(na * nb));
  }
  return worst;
}

// Interleaved and repeated: every model runs one slice of each round, so machine load (the box
// is shared) hits all of them alike; each cell keeps its best round, ratios come from one run.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const THREAD_LIST = (process.env.THREADS ?? "1,2").split(",").map(Number);
for (const threads of THREAD_LIST) {
  const sessions = [];
  for (const m of models) {
    const tl = performance.now();
    const session = await ort.InferenceSession.create(m.path, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
    sessions.push({ m, session, load: (performance.now() - tl) / 1000, d: 0, q: 0 });
  }
  const d = docs(65536);
  const q = queries(65536);
  if (threads === THREAD_LIST[0]) {
    const ref = (await sessions[0]!.session.run(d.feeds(sessions[0]!.session.inputNames))).token_embeddings!.data as Float32Array;
    const mask = d.feeds(["attention_mask"]).attention_mask!.data as BigInt64Array;
    for (const s of sessions.slice(1)) {
      if (s.m.name.startsWith("BERT")) continue;
      const out = (await s.session.run(d.feeds(s.session.inputNames))).token_embeddings!.data as Float32Array;
      console.log(
        `${s.m.name}: worst per-token cosine vs f32 over ${d.tokens} document tokens: ${worstCosine(ref, out, f32.dim, (r) => mask[r] === 1n).toFixed(4)}`,
      );
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of sessions) {
      const bd = s.m.vocab === 65536 ? d : docs(s.m.vocab);
      const bq = s.m.vocab === 65536 ? q : queries(s.m.vocab);
      s.d = Math.max(s.d, await throughput(s.session, bd, SECONDS / ROUNDS));
      s.q = Math.max(s.q, await throughput(s.session, bq, SECONDS / ROUNDS / 2));
    }
  }
  const base = sessions[0]!;
  for (const s of sessions) {
    const gd = (s.d * s.m.flops[0]!) / 1e9;
    const line = `${s.m.name.padEnd(36)} threads ${threads}: load ${s.load.toFixed(1)} s | documents ${s.d.toFixed(0)} tok/s (${(s.d / base.d).toFixed(2)}x f32; ${gd.toFixed(1)} GFLOP/s, ${((100 * gd) / peaks[threads - 1]!).toFixed(0)}% of peak) | queries ${s.q.toFixed(0)} tok/s (${(s.q / base.q).toFixed(2)}x)`;
    console.log(line);
    rows.push(line);
    await s.session.release();
  }
}
console.log(
  `\nsummary (load average now ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}; shared machine, ratios are from the same interleaved run):\n${rows.join("\n")}`,
);
