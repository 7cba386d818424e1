/** Every error path of the encoder and the model loader, each with its code and a fix in the message. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError, type MaxsimErrorCode } from "../../src/errors.js";
import { writeWordPieceTokenizer } from "../../src/fixtures/tokenizers.js";
import { writeProbeOnnxDir, type ProbeOptions } from "./probe-model.js";

let root: string;
let good: string;
let model: ColBERT;
let n = 0;

async function probeDir(config: Record<string, unknown> = {}, probe: ProbeOptions = {}): Promise<string> {
  const dir = join(root, `m${n++}`);
  const tok = await writeWordPieceTokenizer(dir, { vocab: ["cat", "dog"] });
  await writeProbeOnnxDir(
    dir,
    { query_prefix_id: tok.prefixIds[0], document_prefix_id: tok.prefixIds[1], query_length: 6, document_length: 8, ...config },
    probe,
  );
  return dir;
}

async function code(promise: Promise<unknown>): Promise<{ code: MaxsimErrorCode; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!MaxsimError.isInstance(error)) throw new Error(`expected a MaxsimError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-errors-"));
  good = await probeDir();
  model = await ColBERT.fromPretrained(good);
});
afterAll(async () => {
  await model.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("encode input errors", () => {
  it("EMPTY_INPUT for an empty list", async () => {
    expect((await code(model.encodeQueries([]))).code).toBe("EMPTY_INPUT");
  });
  it("INVALID_INPUT for non-strings, naming the index", async () => {
    const e = await code(model.encodeDocuments(["ok", 3 as unknown as string]));
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.message).toContain("Text 1");
    expect((await code(model.encodeDocuments("text" as unknown as string[]))).code).toBe("INVALID_INPUT");
  });
  it("ABORTED when the signal fires, before or between batches", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await code(model.encodeQueries(["cat"], { signal: controller.signal }))).code).toBe("ABORTED");
    const between = new AbortController();
    const progress: number[] = [];
    const e = await code(
      model.encodeDocuments(["cat", "dog", "cat dog"], {
        batchSize: 1,
        signal: between.signal,
        onProgress: (done) => {
          progress.push(done);
          if (done === 1) between.abort();
        },
      }),
    );
    expect(e.code).toBe("ABORTED");
    expect(progress).toEqual([1]);
  });
  it("INVALID_OPTION for a bad batch size or side", async () => {
    expect((await code(model.encodeQueries(["cat"], { batchSize: 0 }))).code).toBe("INVALID_OPTION");
    expect((await code(model.encode(["cat"], { as: "passage" as "query" }))).code).toBe("INVALID_OPTION");
    expect((await code(ColBERT.fromPretrained(good, { queryLength: 2 }))).code).toBe("INVALID_OPTION");
  });
});

describe("loading errors", () => {
  it("MODEL_NOT_FOUND for a missing directory", async () => {
    const e = await code(ColBERT.fromPretrained(join(root, "nope")));
    expect(e.code).toBe("MODEL_NOT_FOUND");
  });

  it("UNKNOWN_LAYOUT for a directory no layout accepts, listing what was found", async () => {
    const dir = join(root, "empty");
    await mkdir(dir);
    await writeFile(join(dir, "readme.txt"), "hi");
    const e = await code(ColBERT.fromPretrained(dir));
    expect(e.code).toBe("UNKNOWN_LAYOUT");
    expect(e.message).toContain("readme.txt");
    expect(e.message).toContain("onnx_config.json");
  });

  it("UNSUPPORTED_MODEL naming the missing files for an LFM2 safetensors checkpoint without ONNX", async () => {
    const dir = join(root, "lfm2");
    await mkdir(dir);
    await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "lfm2", architectures: ["Lfm2Model"] }));
    await writeFile(join(dir, "model.safetensors"), Buffer.alloc(16));
    const e = await code(ColBERT.fromPretrained(dir));
    expect(e.code).toBe("UNSUPPORTED_MODEL");
    expect(e.message).toContain("it lacks config_sentence_transformers.json, modules.json, tokenizer.json, tokenizer_config.json");
    expect(e.message).not.toMatch(/#\d|issue/i);
  });

  it("CONFIG_MISSING when onnx_config.json lacks embedding_dim, CONFIG_INVALID for a mistyped field", async () => {
    const dir = await probeDir();
    const file = join(dir, "onnx_config.json");
    const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...config, embedding_dim: undefined }));
    expect((await code(ColBERT.fromPretrained(dir))).code).toBe("CONFIG_MISSING");
    await writeFile(file, JSON.stringify({ ...config, query_length: "32" }));
    const e = await code(ColBERT.fromPretrained(dir));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toContain("query_length");
    await writeFile(file, "{oops");
    expect((await code(ColBERT.fromPretrained(dir))).code).toBe("CONFIG_INVALID");
  });

  it("CONFIG_MISSING when the tokenizer files are absent", async () => {
    const dir = await probeDir();
    await rm(join(dir, "tokenizer.json"));
    expect((await code(ColBERT.fromPretrained(dir))).code).toBe("CONFIG_MISSING");
  });

  it("MODEL_IO_MISMATCH for an unknown input and for an output width different from embedding_dim", async () => {
    const extra = await probeDir({}, { extraInput: "position_ids" });
    const e1 = await code(ColBERT.fromPretrained(extra));
    expect(e1.code).toBe("MODEL_IO_MISMATCH");
    expect(e1.message).toContain("position_ids");
    // the probe's output is 4 wide; the config claims 16
    const wide = await probeDir({ embedding_dim: 16 });
    const e2 = await code(ColBERT.fromPretrained(wide).then((m) => m.encodeQueries(["cat"])));
    expect(e2.code).toBe("MODEL_IO_MISMATCH");
    expect(e2.message).toContain("16");
  });

  it("int32 inputs are fed as int32", async () => {
    const dir = await probeDir({}, { intType: "int32" });
    const m = await ColBERT.fromPretrained(dir);
    const [q] = await m.encodeQueries(["cat"]);
    expect(q!.length).toBe(6);
    await m.dispose();
  });

  it("a disposed encoder refuses to encode", async () => {
    const m = await ColBERT.fromPretrained(good);
    await m.dispose();
    await m.dispose();
    expect((await code(m.encodeQueries(["cat"]))).code).toBe("INVALID_OPTION");
  });
});
