/**
 * Every PyLate tokenisation rule, checked on the ids, attention bits, token types and positions
 * that actually reach onnxruntime: the probe model's output row is [1, id, attention, position,
 * token_type], which survives L2 normalisation as ratios.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { writeByteLevelBpeTokenizer, writeWordPieceTokenizer, type WrittenTokenizer } from "../../src/fixtures/tokenizers.js";
import { decodeProbe, writeProbeOnnxDir, type ProbeRow } from "./probe-model.js";

const VOCAB = ["the", "cat", "sat", "on", "mat", "dog", "a", "big", ".", ",", "!", "?"];
let root: string;
const open: ColBERT[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "maxsim-rules-"));
});
afterAll(async () => {
  for (const m of open) await m.dispose();
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
/** A WordPiece probe model with the given onnx_config overrides. */
async function bertProbe(
  config: Record<string, unknown> = {},
  opts: { lowercaseTokenizer?: boolean; tokenTypeIds?: boolean; paddingSide?: "left" | "right" } = {},
): Promise<{ model: ColBERT; tok: WrittenTokenizer }> {
  const dir = join(root, `bert-${counter++}`);
  const tok = await writeWordPieceTokenizer(dir, {
    vocab: VOCAB,
    lowercase: opts.lowercaseTokenizer ?? true,
    ...(opts.paddingSide ? { paddingSide: opts.paddingSide } : {}),
  });
  await writeProbeOnnxDir(
    dir,
    {
      query_prefix: "[Q] ",
      document_prefix: "[D] ",
      query_prefix_id: tok.prefixIds[0],
      document_prefix_id: tok.prefixIds[1],
      query_length: 8,
      document_length: 7,
      do_query_expansion: true,
      attend_to_expansion_tokens: false,
      do_lower_case: false,
      ...config,
    },
    { tokenTypeIds: opts.tokenTypeIds ?? true },
  );
  const model = await ColBERT.fromPretrained(dir);
  open.push(model);
  return { model, tok };
}

function rows(e: { data: Float32Array; length: number; dim: number }): ProbeRow[] {
  return decodeProbe(e.data, e.length, e.dim);
}

describe("PyLate rules on a BERT-style tokenizer", () => {
  it("inserts the query prefix at position 1 with attention 1 and token type 0, then expands with [MASK] (attention 0) to exactly query_length, keeping every position", async () => {
    const { model, tok } = await bertProbe();
    const [q] = await model.encodeQueries(["the cat"]);
    const r = rows(q!);
    const id = (t: string) => tok.tokenToId.get(t)!;
    expect(r.map((x) => x.id)).toEqual([id("[CLS]"), tok.prefixIds[0], id("the"), id("cat"), id("[SEP]"), id("[MASK]"), id("[MASK]"), id("[MASK]")]);
    expect(r.map((x) => x.attention)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(r.map((x) => x.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.map((x) => x.tokenType)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(q!.tokenIds)).toEqual(r.map((x) => x.id));
    expect(model.tokenStrings(q!.tokenIds).slice(0, 2)).toEqual(["[CLS]", "[Q] "]);
    expect(model.info.expansionTokenId).toBe(id("[MASK]"));
  });

  it("attends to expansion tokens when attend_to_expansion_tokens is set", async () => {
    const { model } = await bertProbe({ attend_to_expansion_tokens: true });
    const [q] = await model.encodeQueries(["cat"]);
    expect(rows(q!).map((x) => x.attention)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("truncates to query_length − 1 before the prefix and keeps [SEP] last", async () => {
    const { model, tok } = await bertProbe();
    const [q] = await model.encodeQueries(["the cat sat on the mat a big dog"]);
    const r = rows(q!);
    expect(r).toHaveLength(8);
    expect(r.map((x) => x.id)).toEqual([
      2,
      tok.prefixIds[0],
      ...["the", "cat", "sat", "on", "the"].map((t) => tok.tokenToId.get(t)!),
      tok.tokenToId.get("[SEP]"),
    ]);
  });

  it("truncates from the start when tokenizer_config says truncation_side left, still keeping [CLS] and [SEP]", async () => {
    const { model, tok } = await bertProbe();
    const file = join(model.info.dir, "tokenizer_config.json");
    const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...config, truncation_side: "left" }));
    const left = await ColBERT.fromPretrained(model.info.dir);
    open.push(left);
    const [q] = await left.encodeQueries(["the cat sat on the mat a big dog"]);
    expect(rows(q!).map((x) => x.id)).toEqual([2, tok.prefixIds[0], ...["on", "the", "mat", "a", "big", "dog"].slice(1).map((t) => tok.tokenToId.get(t)!), 3]);
  });

  it("uses no prefix and no −1 when the prefix is empty", async () => {
    const { model, tok } = await bertProbe({
      query_prefix: "",
      query_prefix_id: null,
      document_prefix: "",
      document_prefix_id: null,
      query_length: 6,
      document_length: 5,
    });
    const [q] = await model.encodeQueries(["the cat sat on the mat"]);
    expect(rows(q!).map((x) => x.id)).toEqual([2, ...["the", "cat", "sat", "on"].map((t) => tok.tokenToId.get(t)!), 3]);
    const [d] = await model.encodeDocuments(["the cat sat on the mat"]);
    expect(rows(d!).map((x) => x.id)).toEqual([2, ...["the", "cat", "sat"].map((t) => tok.tokenToId.get(t)!), 3]);
    expect(model.info.queryPrefixId).toBeNull();
  });

  it("without query expansion, pads queries to the batch's longest and keeps attended positions only", async () => {
    const { model, tok } = await bertProbe({ do_query_expansion: false, attend_to_expansion_tokens: true });
    expect(model.info.attendToExpansionTokens).toBe(false);
    const [short, long] = await model.encodeQueries(["cat", "the big cat sat"], { batchSize: 2 });
    expect(rows(short!).map((x) => x.id)).toEqual([2, tok.prefixIds[0], tok.tokenToId.get("cat"), 3]);
    expect(rows(short!).every((x) => x.attention === 1)).toBe(true);
    expect(rows(long!)).toHaveLength(7);
  });

  it("documents: prefix, truncation to document_length − 1 keeping [SEP], skiplist punctuation dropped, padding dropped", async () => {
    const { model, tok } = await bertProbe();
    const id = (t: string) => tok.tokenToId.get(t)!;
    const [a, b] = await model.encodeDocuments(["The cat, sat!", "the cat sat on the mat"], { batchSize: 2 });
    expect(rows(a!).map((x) => x.id)).toEqual([id("[CLS]"), tok.prefixIds[1], id("the"), id("cat"), id("sat"), id("[SEP]")]);
    // 6 tokens before the prefix: [CLS] the cat , sat [SEP] ("!" truncated); the comma was fed
    // at position 4 and dropped by the skiplist.
    expect(rows(a!).map((x) => x.position)).toEqual([0, 1, 2, 3, 5, 6]);
    expect(rows(b!).map((x) => x.id)).toEqual([id("[CLS]"), tok.prefixIds[1], id("the"), id("cat"), id("sat"), id("on"), id("[SEP]")]);
    expect(rows(a!).every((x) => x.attention === 1)).toBe(true);
  });

  it("documents in one batch are padded to the longest (not to document_length)", async () => {
    const { model } = await bertProbe({ document_length: 50, skiplist_words: [] });
    const out = await model.encodeDocuments(["cat", "the cat sat"], { batchSize: 2 });
    expect(out.map((e) => e.length)).toEqual([4, 6]);
  });

  it("uses skiplist_words from the config instead of punctuation", async () => {
    const { model, tok } = await bertProbe({ skiplist_words: ["cat"] });
    const [d] = await model.encodeDocuments(["the cat, sat"]);
    expect(model.tokenStrings(d!.tokenIds)).toEqual(["[CLS]", "[D] ", "the", ",", "sat", "[SEP]"]);
    expect(model.info.skiplistIds).toEqual([tok.tokenToId.get("cat")]);
  });

  it("lower-cases texts when do_lower_case is set, and not otherwise", async () => {
    const cased = await bertProbe({ do_lower_case: false }, { lowercaseTokenizer: false });
    const lower = await bertProbe({ do_lower_case: true }, { lowercaseTokenizer: false });
    const [c] = await cased.model.encodeDocuments(["CAT"]);
    const [l] = await lower.model.encodeDocuments(["CAT"]);
    expect(cased.model.tokenStrings(c!.tokenIds)).toEqual(["[CLS]", "[D] ", "[SEP]"]); // [UNK] is in the skiplist (PyLate maps unknown punctuation to it)
    expect(lower.model.tokenStrings(l!.tokenIds)).toEqual(["[CLS]", "[D] ", "cat", "[SEP]"]);
  });

  it("feeds only the inputs the model declares (no token_type_ids here)", async () => {
    const { model } = await bertProbe({}, { tokenTypeIds: false });
    expect(model.info.inputs).toEqual(["input_ids", "attention_mask"]);
    const [q] = await model.encodeQueries(["cat"]);
    expect(q!.dim).toBe(4);
  });

  it("returns L2-normalised rows", async () => {
    const { model } = await bertProbe();
    const [d] = await model.encodeDocuments(["the big cat sat on a mat"]);
    for (let r = 0; r < d!.length; r++) {
      let s = 0;
      for (let k = 0; k < d!.dim; k++) s += d!.data[r * d!.dim + k]! ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 6);
    }
  });

  it("honours queryLength/documentLength overrides", async () => {
    const { model } = await bertProbe();
    const dir = model.info.dir;
    const overridden = await ColBERT.fromPretrained(dir, { queryLength: 5, documentLength: 4 });
    open.push(overridden);
    const [q] = await overridden.encodeQueries(["the cat sat"]);
    expect(q!.length).toBe(5);
    expect(overridden.tokenStrings(q!.tokenIds)).toEqual(["[CLS]", "[Q] ", "the", "cat", "[SEP]"]);
    const [d] = await overridden.encodeDocuments(["the cat sat"]);
    expect(overridden.tokenStrings(d!.tokenIds)).toEqual(["[CLS]", "[D] ", "the", "[SEP]"]);
  });

  it("right padding side pads after the text; left padding puts expansion first and the prefix at position 1, as PyLate does", async () => {
    const { model, tok } = await bertProbe({}, { paddingSide: "left" });
    expect(model.info.paddingSide).toBe("left");
    const [q] = await model.encodeQueries(["cat"]);
    const id = (t: string) => tok.tokenToId.get(t)!;
    // tokenizer pads [CLS] cat [SEP] on the left to 7, then insert_prefix_token puts [Q] at index 1.
    expect(rows(q!).map((x) => x.id)).toEqual([id("[MASK]"), tok.prefixIds[0], id("[MASK]"), id("[MASK]"), id("[MASK]"), id("[CLS]"), id("cat"), id("[SEP]")]);
    expect(rows(q!).map((x) => x.attention)).toEqual([0, 1, 0, 0, 0, 1, 1, 1]);
  });
});

describe("PyLate rules on an LFM2-style byte-level BPE tokenizer", () => {
  async function bpeProbe(edit?: (config: Record<string, unknown>) => void, paddingSide?: "left" | "right") {
    const dir = join(root, `bpe-${counter++}`);
    const tok = await writeByteLevelBpeTokenizer(dir, { words: ["the", "cat", "sat"], ...(paddingSide ? { paddingSide } : {}) });
    if (edit) {
      const file = join(dir, "tokenizer_config.json");
      const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      edit(config);
      await writeFile(file, JSON.stringify(config));
    }
    await writeProbeOnnxDir(dir, {
      query_prefix: "[Q] ",
      document_prefix: "[D] ",
      query_prefix_id: tok.prefixIds[0],
      document_prefix_id: tok.prefixIds[1],
      query_length: 7,
      document_length: 10,
      do_query_expansion: true,
      attend_to_expansion_tokens: true,
      mask_token_id: 103,
    });
    const model = await ColBERT.fromPretrained(dir);
    open.push(model);
    return { model, tok };
  }

  it("expands queries with the EOS token <|im_end|> when there is no mask token (not onnx_config's mask_token_id)", async () => {
    const { model, tok } = await bpeProbe();
    const [q] = await model.encodeQueries(["the cat"]);
    const r = rows(q!);
    expect(model.info.expansionToken).toBe("<|im_end|>");
    expect(r[0]!.id).toBe(tok.special.bos);
    expect(r[1]!.id).toBe(tok.prefixIds[0]);
    expect(r.slice(-3).map((x) => x.id)).toEqual([tok.special.eos, tok.special.eos, tok.special.eos]);
    expect(r.map((x) => x.attention)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("falls back to the pad token when there is neither mask nor EOS", async () => {
    const { model, tok } = await bpeProbe((c) => {
      delete c.eos_token;
    });
    expect(model.info.expansionTokenId).toBe(tok.special.pad);
  });

  it("truncation keeps BOS and has no trailing special", async () => {
    const { model, tok } = await bpeProbe();
    const [d] = await model.encodeDocuments(["the cat sat the cat sat the cat sat the cat sat"]);
    const r = rows(d!);
    expect(r).toHaveLength(10 - 0); // BOS, [D], then 8 content tokens (no skiplist hits)
    expect(r[0]!.id).toBe(tok.special.bos);
    expect(r[1]!.id).toBe(tok.prefixIds[1]);
  });
});
