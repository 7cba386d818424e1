import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLfm2Checkpoint, type Lfm2CheckpointInfo } from "../../scripts/make-lfm2-checkpoint.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import type { TokenEmbeddings } from "../../src/types.js";
import { loadReference, referenceForward, type ReferenceModel } from "./reference.js";
import { cosine } from "../helpers.js";

let root: string;
let info: Lfm2CheckpointInfo;
let model: ColBERT;
let ref: ReferenceModel;
const progress: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-lfm2-colbert-"));
  info = await makeLfm2Checkpoint(join(root, "LFM2-ColBERT-tiny"));
  model = await ColBERT.fromPretrained(info.dir, { cacheDir: join(root, "cache"), intraOpThreads: 1, onProgress: (m: string) => progress.push(m) });
  ref = await loadReference(info.dir);
});

afterAll(async () => {
  await model?.dispose();
  if (root) await rm(root, { recursive: true, force: true });
});

function expectMatchesReference(e: TokenEmbeddings, mask: number[]): void {
  const want = referenceForward(ref, Array.from(e.tokenIds), mask);
  expect(e.length).toBe(want.length);
  want.forEach((row, t) => expect(cosine(row, e.data.subarray(t * e.dim, (t + 1) * e.dim))).toBeGreaterThanOrEqual(0.9999));
}

describe("ColBERT.fromPretrained on an LFM2-ColBERT checkpoint directory", () => {
  it("builds the graph with progress lines and reports the lfm2-checkpoint layout", () => {
    expect(model.info.layout).toBe("lfm2-checkpoint");
    expect(model.dim).toBe(128);
    expect(progress.some((m) => m.startsWith("LFM2: building the ONNX graph"))).toBe(true);
  });

  it("encodes documents (batched, padded) exactly as the reference encodes each alone", async () => {
    const docs = await model.encodeDocuments(["the cat sat on the mat", "paris is the capital of france and berlin is the capital of germany", "a dog"]);
    expect(docs.map((d) => d.tokenIds[1])).toEqual([info.ids.documentPrefix, info.ids.documentPrefix, info.ids.documentPrefix]);
    for (const d of docs)
      expectMatchesReference(
        d,
        Array.from(d.tokenIds, () => 1),
      );
  });

  it("encodes queries with <|im_end|> expansion to 32 positions, expansion unattended", async () => {
    const queries = await model.encodeQueries(["where is paris", "who sat on the mat in the city"]);
    for (const q of queries) {
      expect(q.length).toBe(32);
      expect(q.tokenIds[1]).toBe(info.ids.queryPrefix);
      const real = q.tokenIds.indexOf(info.ids.eos); // first expansion position
      expect(real).toBeGreaterThan(2);
      expectMatchesReference(
        q,
        Array.from(q.tokenIds, (_, t) => (t < real ? 1 : 0)),
      );
    }
  });

  it("fails an offline hub id with HUB_OFFLINE", async () => {
    const error = await ColBERT.fromPretrained("LiquidAI/LFM2-ColBERT-350M", { cacheDir: join(root, "hub") }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("HUB_OFFLINE");
  });
});

describe("ColBERT.fromPretrained on an LFM2.5 (Lfm2BidirectionalModel) checkpoint directory", () => {
  let bidi: ColBERT;
  let bidiRef: ReferenceModel;
  let bidiInfo: Lfm2CheckpointInfo;

  beforeAll(async () => {
    bidiInfo = await makeLfm2Checkpoint(join(root, "LFM2.5-ColBERT-tiny"), { variant: "bidirectional" });
    bidi = await ColBERT.fromPretrained(bidiInfo.dir, { cacheDir: join(root, "cache"), intraOpThreads: 1 });
    bidiRef = await loadReference(bidiInfo.dir);
  });

  afterAll(async () => {
    await bidi?.dispose();
  });

  it("encodes a document and expanded queries as the bidirectional reference does", async () => {
    const [doc] = await bidi.encodeDocuments(["the river city of paris"]);
    const docWant = referenceForward(
      bidiRef,
      Array.from(doc!.tokenIds),
      Array.from(doc!.tokenIds, () => 1),
    );
    docWant.forEach((row, t) => expect(cosine(row, doc!.data.subarray(t * 128, (t + 1) * 128))).toBeGreaterThanOrEqual(0.9999));
    for (const q of await bidi.encodeQueries(["where is the river", "who is the cat"])) {
      const real = q.tokenIds.indexOf(bidiInfo.ids.eos);
      const want = referenceForward(
        bidiRef,
        Array.from(q.tokenIds),
        Array.from(q.tokenIds, (_, t) => (t < real ? 1 : 0)),
      );
      want.forEach((row, t) => expect(cosine(row, q.data.subarray(t * 128, (t + 1) * 128))).toBeGreaterThanOrEqual(0.9999));
    }
  });

  it("loads the same checkpoint spelled as transformers' native lfm2_bidirectional (rope_parameters) and encodes identically", async () => {
    const native = join(root, "LFM2.5-native");
    await cp(bidiInfo.dir, native, { recursive: true });
    const configFile = join(native, "config.json");
    const { architectures: _a, auto_map: _m, rope_theta: theta, ...rest } = JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
    expect(typeof theta).toBe("number");
    await writeFile(configFile, JSON.stringify({ ...rest, model_type: "lfm2_bidirectional", rope_parameters: { rope_type: "default", rope_theta: theta } }));
    const model = await ColBERT.fromPretrained(native, { cacheDir: join(root, "cache-native"), intraOpThreads: 1 });
    try {
      expect(model.info.layout).toBe("lfm2-checkpoint");
      const [want] = await bidi.encodeDocuments(["the river city of paris"]);
      const [got] = await model.encodeDocuments(["the river city of paris"]);
      let worst = 0;
      for (let i = 0; i < want!.data.length; i++) worst = Math.max(worst, Math.abs(want!.data[i]! - got!.data[i]!));
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      await model.dispose();
    }
  });

  it("refuses an incomplete checkpoint naming the missing file, with no issue number", async () => {
    const partial = join(root, "LFM2.5-partial");
    await cp(bidiInfo.dir, partial, { recursive: true });
    await rm(join(partial, "modules.json"));
    const error = await ColBERT.fromPretrained(partial, { cacheDir: join(root, "cache-partial") }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("UNSUPPORTED_MODEL");
    expect((error as Error).message).toContain("it lacks modules.json.");
    expect((error as Error).message).not.toMatch(/#\d|issue/i);
  });

  it("encodes a document inside a batch of longer ones exactly as alone (padding never reaches the centred conv)", async () => {
    const text = "the river city of paris";
    const [alone] = await bidi.encodeDocuments([text]);
    const batched = await bidi.encodeDocuments([
      "paris is the capital of france and berlin is the capital of germany",
      text,
      "a dog sat on the mat in the city",
    ]);
    const inBatch = batched[1]!;
    expect(Array.from(inBatch.tokenIds)).toEqual(Array.from(alone!.tokenIds));
    let worst = 0;
    for (let i = 0; i < alone!.data.length; i++) worst = Math.max(worst, Math.abs(alone!.data[i]! - inBatch.data[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
