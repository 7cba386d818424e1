/**
 * Which LFM2 MatMul kinds int8 can take without losing per-token fidelity: on the full-size
 * random checkpoint, one graph per (kind, kernel) with only that kind quantised, plus whole-graph
 * variants, each scored by the worst and mean per-token cosine to the f32 graph over a batch of
 * documents (~300 tokens each). Speed is measured by `bench/int8-kernels.ts` and `bench/lfm2.ts`.
 *
 * Run: `pnpm --filter @maxsim/core exec tsx --conditions=source bench/lfm2-int8-fidelity.ts <checkpointDir> [kernels=token,token-u8] [docs=2]`
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Prng } from "../src/fixtures/prng.js";
import { LFM2_INT8_KERNELS, buildLfm2Graph, type Lfm2GraphOptions, type Lfm2Int8Kernel, type Lfm2MatMulKind } from "../src/model/lfm2/build-graph.js";
import { parseLfm2Config } from "../src/model/lfm2/config.js";
import { SafetensorsFile } from "../src/model/safetensors.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: lfm2-int8-fidelity.ts <checkpointDir> [kernels] [docs]");
const kernels = (process.argv[3] ?? "token,token-u8").split(",") as Lfm2Int8Kernel[];
const B = Number(process.argv[4] ?? 2);
const S = 300;
const cfg = parseLfm2Config(JSON.parse(await readFile(join(dir, "config.json"), "utf8")));
const file = await SafetensorsFile.open(join(dir, "model.safetensors"));
const denseFile = await SafetensorsFile.open(join(dir, "1_Dense", "model.safetensors"));
const dense = { weight: await denseFile.read("linear.weight"), bias: null, inFeatures: cfg.hiddenSize, outFeatures: 128 };
const weights = { has: (n: string) => file.info(n) !== undefined, read: async (n: string) => ({ data: await file.read(n), shape: file.info(n)!.shape }) };
const rng = new Prng("fidelity");
const ids = new BigInt64Array(B * S).map((_, i) => BigInt(i % S === 0 ? 1 : 300 + Math.floor(rng.uniform() * (cfg.vocabSize - 400))));
const feeds = { input_ids: new ort.Tensor("int64", ids, [B, S]), attention_mask: new ort.Tensor("int64", new BigInt64Array(B * S).fill(1n), [B, S]) };

async function run(options: Partial<Lfm2GraphOptions>): Promise<Float32Array> {
  const g = await buildLfm2Graph(cfg, weights, dense, { padTokenId: 0, weightDtype: "float16", ...options });
  const session = await ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: 2 });
  try {
    return (await session.run(feeds)).token_embeddings!.data as Float32Array;
  } finally {
    await session.release();
  }
}
const base = await run({});
function score(y: Float32Array): string {
  let worst = 1;
  let sum = 0;
  for (let r = 0; r < B * S; r++) {
    let d = 0;
    let a = 0;
    let b = 0;
    for (let c = 0; c < 128; c++) {
      const u = base[r * 128 + c]!;
      const v = y[r * 128 + c]!;
      d += u * v;
      a += u * u;
      b += v * v;
    }
    const cos = d / Math.sqrt(a * b);
    worst = Math.min(worst, cos);
    sum += cos;
  }
  return `worst ${worst.toFixed(4)} mean ${(sum / (B * S)).toFixed(5)}`;
}
const kinds = Object.keys(LFM2_INT8_KERNELS) as Lfm2MatMulKind[];
// MIXES="ffnUp:token-u8,ffnDown:token-u8;convIn:float" scores whole-graph mixes (kinds not named stay float) and skips the sweep.
const mixes = (process.env.MIXES ?? "").split(";").filter((m) => m.length > 0);
if (mixes.length > 0) {
  for (const mix of mixes) {
    const k = Object.fromEntries(kinds.map((x) => [x, "float"])) as Record<Lfm2MatMulKind, Lfm2Int8Kernel>;
    for (const part of mix.split(",")) {
      const [kind, kernel] = part.split(":") as [Lfm2MatMulKind, Lfm2Int8Kernel];
      k[kind] = kernel;
    }
    console.log(`mix ${mix}: ${score(await run({ int8: true, int8Kernels: k }))}`);
  }
  process.exit(0);
}
const only = (kind: Lfm2MatMulKind | null, k: Lfm2Int8Kernel) =>
  Object.fromEntries(kinds.map((x) => [x, kind === null || x === kind ? k : "float"])) as Record<Lfm2MatMulKind, Lfm2Int8Kernel>;
console.log(`${B} documents × ${S} tokens, per-token cosine to the f32 graph`);
for (const k of kernels) console.log(`all kinds ${k}: ${score(await run({ int8: true, int8Kernels: only(null, k) }))}`);
console.log(`default LFM2_INT8_KERNELS ${JSON.stringify(LFM2_INT8_KERNELS)}: ${score(await run({ int8: true }))}`);
for (const kind of kinds) {
  const cells = [];
  for (const k of kernels) cells.push(`${k} ${score(await run({ int8: true, int8Kernels: only(kind, k) }))}`);
  console.log(`only ${kind.padEnd(8)}: ${cells.join(" | ")}`);
}
await file.close();
await denseFile.close();
