/** Layout detection through the registry, int8 selection, and the sentence-transformers layout's checks. */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures, type FixturePaths } from "../../src/fixtures/index.js";
import { loadModel } from "../../src/model/load.js";
import { detectLayout, getLayout, listLayouts, registerLayout } from "../../src/model/layouts/registry.js";
import { buildProbe } from "../encoder/probe-model.js";

let fx: FixturePaths;
let tmp: string;
beforeAll(async () => {
  fx = await ensureFixtures();
  tmp = await mkdtemp(join(tmpdir(), "maxsim-layouts-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copy(src: string, name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(src, dir, { recursive: true });
  return dir;
}

describe("layout registry", () => {
  it("detects each fixture's layout without being told", async () => {
    expect((await detectLayout(fx.lexical))?.name).toBe("pylate-onnx");
    expect((await detectLayout(fx.lexicalSt))?.name).toBe("sentence-transformers");
    expect((await detectLayout(tmp))?.name).toBeUndefined();
    expect(
      listLayouts()
        .map((l) => l.name)
        .slice(0, 2),
    ).toEqual(["pylate-onnx", "sentence-transformers"]);
  });

  it("registerLayout with priority first wins over the built-ins, and re-registering replaces", async () => {
    const layout = {
      name: "test-first",
      detect: async (dir: string) => dir === fx.lexical,
      load: async () => await getLayout("pylate-onnx")!.load(fx.lexical, {}),
      hubFiles: { markers: [], required: [], optional: [] },
    };
    registerLayout(layout, "first");
    registerLayout(layout, "first");
    try {
      expect(listLayouts().filter((l) => l.name === "test-first")).toHaveLength(1);
      expect((await detectLayout(fx.lexical))?.name).toBe("test-first");
    } finally {
      const all = listLayouts() as unknown as { name: string }[];
      all.splice(
        all.findIndex((l) => l.name === "test-first"),
        1,
      );
    }
  });
});

describe("pylate-onnx layout", () => {
  it("int8 picks model_int8.onnx when present, model.onnx otherwise", async () => {
    const dir = await copy(fx.probe, "probe-int8");
    // a different graph (no token_type_ids input) so the chosen file is visible in the inputs
    await writeFile(join(dir, "model_int8.onnx"), buildProbe({ tokenTypeIds: false }).bytes);
    const config = JSON.parse(await readFile(join(dir, "onnx_config.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "onnx_config.json"), JSON.stringify({ ...config, embedding_dim: 4 }));
    const { loaded } = await loadModel(dir, { int8: true });
    expect(loaded.onnx).toBe(join(dir, "model_int8.onnx"));
    const m = await ColBERT.fromPretrained(dir, { int8: true });
    expect(m.info.inputs).toEqual(["input_ids", "attention_mask"]);
    await m.dispose();
    expect((await loadModel(dir)).loaded.onnx).toBe(join(dir, "model.onnx"));
  });
});

describe("sentence-transformers layout", () => {
  it("reads prefixes and lengths from config_sentence_transformers.json and resolves prefix ids through the tokenizer", async () => {
    const { loaded } = await loadModel(fx.lexicalSt);
    expect(loaded.dense).toHaveLength(1);
    expect(loaded.config.queryPrefixId).toBeNull(); // resolved by the encoder
    const m = await ColBERT.fromPretrained(fx.lexicalSt);
    expect(m.info.queryPrefixId).toBeGreaterThan(0);
    expect(m.tokenStrings(Int32Array.of(m.info.queryPrefixId!))).toEqual([m.info.queryPrefix]);
    await m.dispose();
  });

  it("rejects an unsupported activation, a weight of the wrong shape and a missing safetensors file", async () => {
    const act = await copy(fx.lexicalSt, "st-act");
    const cfgFile = join(act, "1_Dense", "config.json");
    const cfg = JSON.parse(await readFile(cfgFile, "utf8")) as Record<string, unknown>;
    await writeFile(cfgFile, JSON.stringify({ ...cfg, activation_function: "torch.nn.modules.activation.Tanh" }));
    await expect(loadModel(act)).rejects.toMatchObject({ code: "CONFIG_INVALID" });

    const shape = await copy(fx.lexicalSt, "st-shape");
    await writeFile(join(shape, "1_Dense", "config.json"), JSON.stringify({ ...cfg, in_features: 7 }));
    await expect(loadModel(shape)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });

    const missing = await copy(fx.lexicalSt, "st-missing");
    await rm(join(missing, "1_Dense", "model.safetensors"));
    await expect(loadModel(missing)).rejects.toMatchObject({ code: "CONFIG_MISSING" });
  });

  it("a prefix that is not a tokenizer token is CONFIG_INVALID", async () => {
    const dir = await copy(fx.lexicalSt, "st-prefix");
    const file = join(dir, "config_sentence_transformers.json");
    const cfg = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...cfg, query_prefix: "<query>: " }));
    await expect(ColBERT.fromPretrained(dir)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});
