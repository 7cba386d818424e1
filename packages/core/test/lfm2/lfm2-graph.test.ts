import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLfm2Checkpoint, type Lfm2CheckpointInfo } from "../../scripts/make-lfm2-checkpoint.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureLfm2Onnx } from "../../src/model/lfm2/build-cache.js";
import { buildLfm2Graph } from "../../src/model/lfm2/build-graph.js";
import { SafetensorsFile } from "../../src/model/safetensors.js";
import { lfm2FfnDim, parseLfm2Config } from "../../src/model/lfm2/config.js";
import { loadReference, referenceForward, type ReferenceModel } from "./reference.js";
import { cosine } from "../helpers.js";

interface Seq {
  ids: number[];
  mask: number[];
}

let root: string;
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs a right-padded batch (pad id, attention 0) and returns each text's rows. */
async function runBatch(session: ort.InferenceSession, seqs: Seq[], pad: number): Promise<Float32Array[][]> {
  const S = Math.max(...seqs.map((s) => s.ids.length));
  const ids = new BigInt64Array(seqs.length * S).fill(BigInt(pad));
  const mask = new BigInt64Array(seqs.length * S);
  seqs.forEach((s, b) => {
    s.ids.forEach((id, t) => {
      ids[b * S + t] = BigInt(id);
      mask[b * S + t] = BigInt(s.mask[t]!);
    });
  });
  const out = await session.run({
    input_ids: new ort.Tensor("int64", ids, [seqs.length, S]),
    attention_mask: new ort.Tensor("int64", mask, [seqs.length, S]),
  });
  const y = out.token_embeddings!;
  const dim = y.dims[2]!;
  const data = y.data as Float32Array;
  return seqs.map((s, b) => s.ids.map((_, t) => data.slice((b * S + t) * dim, (b * S + t + 1) * dim)));
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((row, t) => row.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[t]![i]!)))));
  return m;
}

/** PyLate-shaped inputs built from token ids: documents `BOS [D] words… EOS`, queries `BOS [Q] words… EOS` expanded with EOS (attention 0) to 32. */
function texts(info: Lfm2CheckpointInfo): { docs: Seq[]; queries: Seq[] } {
  const word = (k: number) => 8 + 256 + ((k * 37) % (info.vocabSize - 8 - 256 - 2)); // merged-token ids
  const doc = (n: number, seed: number): Seq => {
    const ids = [info.ids.bos, info.ids.documentPrefix, ...Array.from({ length: n }, (_, i) => word(seed + i * 7)), info.ids.eos];
    return { ids, mask: ids.map(() => 1) };
  };
  const query = (n: number, seed: number): Seq => {
    const real = [info.ids.bos, info.ids.queryPrefix, ...Array.from({ length: n }, (_, i) => word(seed + i * 3)), info.ids.eos];
    const ids = [...real, ...Array.from({ length: 32 - real.length }, () => info.ids.eos)];
    return { ids, mask: ids.map((_, t) => (t < real.length ? 1 : 0)) };
  };
  return { docs: [doc(3, 1), doc(30, 2), doc(11, 3)], queries: [query(2, 4), query(9, 5), query(5, 6)] };
}

for (const variant of ["causal", "bidirectional"] as const) {
  describe(`LFM2 graph (${variant}) vs the plain-TypeScript reference`, () => {
    let info: Lfm2CheckpointInfo;
    let session: ort.InferenceSession;
    let int8Session: ort.InferenceSession;
    let ref: ReferenceModel;

    beforeAll(async () => {
      root ??= await mkdtemp(join(tmpdir(), "maxsim-lfm2-"));
      info = await makeLfm2Checkpoint(join(root, variant), { variant });
      const built = await ensureLfm2Onnx(info.dir, { cacheDir: join(root, "cache") });
      session = await ort.InferenceSession.create(built.path, { intraOpNumThreads: 1 });
      sessions.push(session);
      const int8 = await ensureLfm2Onnx(info.dir, { cacheDir: join(root, "cache"), int8: true });
      expect(int8.path).not.toBe(built.path);
      int8Session = await ort.InferenceSession.create(int8.path, { intraOpNumThreads: 1 });
      sessions.push(int8Session);
      ref = await loadReference(info.dir);
    });

    it("int8 (LFM2_INT8_KERNELS) stays within cosine 0.99 of f32 on every token", async () => {
      const { docs, queries } = texts(info);
      for (const batch of [docs, queries]) {
        const f32 = await runBatch(session, batch, info.ids.pad);
        const q8 = await runBatch(int8Session, batch, info.ids.pad);
        let worst = 1;
        f32.forEach((rows, b) => rows.forEach((row, t) => (worst = Math.min(worst, cosine(row, q8[b]![t]!)))));
        expect(worst).toBeGreaterThanOrEqual(0.99);
        expect(worst).toBeLessThan(1 - 1e-7); // really quantised, not the f32 graph again
      }
    });

    it("matches the reference at every position of padded document and query batches", async () => {
      const { docs, queries } = texts(info);
      for (const batch of [docs, queries]) {
        const got = await runBatch(session, batch, info.ids.pad);
        batch.forEach((s, b) => {
          const want = referenceForward(ref, s.ids, s.mask);
          want.forEach((row, t) => expect(cosine(row, got[b]![t]!)).toBeGreaterThanOrEqual(0.9999));
        });
      }
    });

    it("gives a text the same vectors alone and inside a batch of longer texts", async () => {
      const { docs, queries } = texts(info);
      const [alone] = await runBatch(session, [docs[0]!], info.ids.pad);
      const [, , inBatch] = await runBatch(session, [docs[1]!, docs[2]!, docs[0]!], info.ids.pad);
      expect(maxAbsDiff(alone!, inBatch!)).toBeLessThanOrEqual(1e-5);
      // Batch-size invariance for queries (all exactly 32 positions, expansion included).
      const [q1] = await runBatch(session, [queries[1]!], info.ids.pad);
      const all = await runBatch(session, queries, info.ids.pad);
      expect(maxAbsDiff(q1!, all[1]!)).toBeLessThanOrEqual(1e-5);
    });

    it("stores weights as f16 without moving the output: the f32-storage and fused-norm graphs agree within 1e-5", async () => {
      const cfg = parseLfm2Config(JSON.parse(await readFile(join(info.dir, "config.json"), "utf8")));
      const file = await SafetensorsFile.open(join(info.dir, "model.safetensors"));
      const denseFile = await SafetensorsFile.open(join(info.dir, "1_Dense", "model.safetensors"));
      const dense = { weight: await denseFile.read("linear.weight"), bias: null, inFeatures: cfg.hiddenSize, outFeatures: 128 };
      const weights = { has: (n: string) => file.info(n) !== undefined, read: async (n: string) => ({ data: await file.read(n), shape: file.info(n)!.shape }) };
      const f32 = await buildLfm2Graph(cfg, weights, dense, { padTokenId: info.ids.pad, weightDtype: "float32" });
      // The SkipSimplifiedLayerNormalization variant computes the same function.
      const fused = await buildLfm2Graph(cfg, weights, dense, { padTokenId: info.ids.pad, weightDtype: "float32", skipNorm: true });
      await file.close();
      await denseFile.close();
      const { docs } = texts(info);
      const b = await runBatch(session, docs, info.ids.pad);
      for (const variantGraph of [f32, fused]) {
        const other = await ort.InferenceSession.create(variantGraph.toBytes(), { intraOpNumThreads: 1 });
        sessions.push(other);
        const a = await runBatch(other, docs, info.ids.pad);
        a.forEach((rows, i) => expect(maxAbsDiff(rows, b[i]!)).toBeLessThanOrEqual(1e-5));
      }
    });

    it(
      variant === "bidirectional"
        ? "lets query-expansion positions reach the conv (they are input, not padding)"
        : "zeroes expansion positions at the conv input, whatever their id (transformers' batched rule)",
      async () => {
        const { queries } = texts(info);
        const q = queries[0]!;
        const [asExpansion] = await runBatch(session, [q], info.ids.pad);
        // The same positions holding the pad id instead of <|im_end|>.
        const padded: Seq = { ids: q.ids.map((id, t) => (q.mask[t] === 1 ? id : info.ids.pad)), mask: q.mask };
        const [asPadding] = await runBatch(session, [padded], info.ids.pad);
        const lastReal = q.mask.lastIndexOf(1);
        const diff = maxAbsDiff([asExpansion![lastReal]!], [asPadding![lastReal]!]);
        // Centred conv: the last real token sees its right neighbour only when that is input.
        if (variant === "bidirectional") expect(diff).toBeGreaterThan(1e-3);
        else expect(diff).toBeLessThanOrEqual(1e-6);
      },
    );
  });
}

describe("LFM2 config and cache", () => {
  it("derives the FFN width as transformers does (350M: 6656 → 4608)", () => {
    expect(lfm2FfnDim(6656, true, 1.0, 256)).toBe(4608);
    expect(lfm2FfnDim(200, true, 1.0, 32)).toBe(160);
    expect(lfm2FfnDim(200, true, null, 32)).toBe(133);
    expect(lfm2FfnDim(200, false, 1.0, 32)).toBe(200);
    const cfg = parseLfm2Config({
      model_type: "lfm2",
      hidden_size: 1024,
      num_hidden_layers: 16,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      block_ff_dim: 6656,
      intermediate_size: 4608,
      full_attn_idxs: [2, 5, 8, 10, 12, 14],
    });
    expect(cfg.ffnDim).toBe(4608);
    expect(cfg.layerTypes.filter((t) => t === "conv")).toHaveLength(10);
    expect(cfg.headDim).toBe(64);
    expect(cfg.variant).toBe("causal");
    expect(parseLfm2Config({ model_type: "lfm2", architectures: ["Lfm2BidirectionalModel"] }).variant).toBe("bidirectional");
  });

  it("refuses config fields the graph does not implement, naming the field", () => {
    const base = { model_type: "lfm2", num_hidden_layers: 2, layer_types: ["conv", "full_attention"] };
    const refusal = (extra: Record<string, unknown>): string => {
      try {
        parseLfm2Config({ ...base, ...extra });
      } catch (e) {
        expect(MaxsimError.isInstance(e) && e.code).toBe("UNSUPPORTED_MODEL");
        return (e as Error).message;
      }
      throw new Error("expected a refusal");
    };
    expect(refusal({ rope_scaling: { rope_type: "linear", factor: 2 } })).toContain("rope_scaling");
    expect(refusal({ layer_types: ["conv", "sliding_attention"] })).toContain("layer_types[1]");
    expect(refusal({ rope_parameters: { rope_type: "yarn", rope_theta: 1e6 } })).toContain("rope_parameters.rope_type");
    expect(refusal({ model_type: "lfm2_moe" })).toContain("model_type");
  });

  it("reuses the cached graph, rebuilds when the checkpoint changes, and reads model.-prefixed tensors", async () => {
    root ??= await mkdtemp(join(tmpdir(), "maxsim-lfm2-"));
    const dir = join(root, "prefixed");
    await makeLfm2Checkpoint(dir, { tensorPrefix: "model.", seed: "prefixed" });
    const cacheDir = join(root, "cache2");
    const messages: string[] = [];
    const first = await ensureLfm2Onnx(dir, { cacheDir, onProgress: (m) => messages.push(m) });
    expect(first.cached).toBe(false);
    expect(messages.some((m) => m.includes("building"))).toBe(true);
    const second = await ensureLfm2Onnx(dir, { cacheDir });
    expect(second).toMatchObject({ cached: true, path: first.path });
    const configPath = join(dir, "config.json");
    const config = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, norm_eps: 1e-6 }));
    const third = await ensureLfm2Onnx(dir, { cacheDir });
    expect(third.cached).toBe(false);
    expect(third.path).not.toBe(first.path);
  });
});
