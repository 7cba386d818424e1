/**
 * The encoder on the shared fixtures: both layouts agree, results keep input order under length
 * sorting, batch size does not change vectors (on a real attention model), the probe fixtures
 * show the fed inputs, and lexical MaxSim ranks the matching document first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { naiveMaxSim as maxsim } from "../helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { buildBertLikeModel, decodeProbeVector, ensureFixtures, type FixturePaths } from "../../src/fixtures/index.js";
import type { TokenEmbeddings } from "../../src/types.js";

let fx: FixturePaths;
let tmp: string;
const open: ColBERT[] = [];
async function load(dir: string, options: Parameters<typeof ColBERT.fromPretrained>[1] = {}): Promise<ColBERT> {
  const m = await ColBERT.fromPretrained(dir, options);
  open.push(m);
  return m;
}

beforeAll(async () => {
  fx = await ensureFixtures();
  tmp = await mkdtemp(join(tmpdir(), "maxsim-colbert-"));
});
afterAll(async () => {
  for (const m of open) await m.dispose();
  await rm(tmp, { recursive: true, force: true });
});

function maxDiff(a: TokenEmbeddings, b: TokenEmbeddings): number {
  expect(a.length).toBe(b.length);
  expect(Array.from(a.tokenIds)).toEqual(Array.from(b.tokenIds));
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

const DOCS = [
  "The cat sleeps on the warm mat.",
  "A dog runs in the park",
  "Rain",
  "Fresh bread from the bakery smells wonderful in the morning, and the baker sings while the ovens warm up.",
  "the river flows to the sea",
];

describe("ColBERT on the fixtures", () => {
  it("the sentence-transformers layout (ONNX hidden state + 1_Dense in JS) gives the pylate-onnx vectors", async () => {
    const onnx = await load(fx.lexical);
    const st = await load(fx.lexicalSt);
    expect(st.info.layout).toBe("sentence-transformers");
    expect(st.info.dense.length).toBe(1);
    expect(st.dim).toBe(onnx.dim);
    expect(st.info.queryPrefixId).toBe(onnx.info.queryPrefixId);
    const [a, b] = await Promise.all([onnx.encodeDocuments(DOCS), st.encodeDocuments(DOCS)]);
    for (let i = 0; i < DOCS.length; i++) expect(maxDiff(a[i]!, b[i]!)).toBeLessThan(1e-5);
    const [qa, qb] = await Promise.all([onnx.encodeQueries(["sleeping cats"]), st.encodeQueries(["sleeping cats"])]);
    expect(maxDiff(qa[0]!, qb[0]!)).toBeLessThan(1e-5);
  });

  it("keeps input order under length sorting and reports progress per batch", async () => {
    const m = await load(fx.lexical);
    const progress: [number, number][] = [];
    const together = await m.encodeDocuments(DOCS, { batchSize: 2, onProgress: (d, t) => progress.push([d, t]) });
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    for (let i = 0; i < DOCS.length; i++) {
      const [alone] = await m.encodeDocuments([DOCS[i]!]);
      expect(maxDiff(together[i]!, alone!)).toBeLessThan(1e-6);
    }
  });

  it("batch size 1 and 32 give the same vectors within 1e-5 on a real attention model", async () => {
    const dir = await buildBertLikeModel({ dir: join(tmp, "tiny-bert"), layers: 2, hidden: 32, heads: 2, ffn: 64, vocab: 600, dim: 16, seed: "invariance" });
    const m = await load(dir);
    const texts = Array.from({ length: 40 }, (_, i) =>
      m.tokenStrings(Int32Array.from({ length: 1 + ((i * 7) % 23) }, (_, j) => 10 + ((i * 31 + j * 17) % 500))).join(" "),
    );
    for (const as of ["query", "document"] as const) {
      const one = await m.encode(texts, { as, batchSize: 1 });
      const big = await m.encode(texts, { as, batchSize: 32 });
      let worst = 0;
      for (let i = 0; i < texts.length; i++) worst = Math.max(worst, maxDiff(one[i]!, big[i]!));
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it("probe fixture: prefix at position 1, [MASK] expansion to the query length, token types 0", async () => {
    const m = await load(fx.probe);
    const [q] = await m.encodeQueries(["hello"]);
    const rows = Array.from({ length: q!.length }, (_, r) => decodeProbeVector(q!.data.subarray(r * q!.dim, (r + 1) * q!.dim)));
    expect(q!.length).toBe(m.info.queryLength);
    expect(rows[1]!.id).toBe(m.info.queryPrefixId);
    expect(rows.map((r) => r.position)).toEqual(rows.map((_, i) => i));
    expect(rows.filter((r) => r.attention === 0).every((r) => r.id === m.info.expansionTokenId)).toBe(true);
    expect(m.info.expansionToken).toBe("[MASK]");
    expect(rows.every((r) => r.tokenType === 0)).toBe(true);
  });

  it("probeLfm2 fixture: BOS first, <|im_end|> expansion, no token_type_ids fed", async () => {
    const m = await load(fx.probeLfm2);
    expect(m.info.inputs).not.toContain("token_type_ids");
    expect(m.info.expansionToken).toBe("<|im_end|>");
    const [q] = await m.encodeQueries(["the cat"]);
    const rows = Array.from({ length: q!.length }, (_, r) => decodeProbeVector(q!.data.subarray(r * q!.dim, (r + 1) * q!.dim)));
    expect(m.tokenStrings(q!.tokenIds)[0]).toBe("<|startoftext|>");
    expect(rows[1]!.id).toBe(m.info.queryPrefixId);
    expect(rows[rows.length - 1]!.id).toBe(m.info.expansionTokenId);
  });

  it("lexical MaxSim ranks the document that shares the query's words first; int8 falls back to model.onnx when absent", async () => {
    const m = await load(fx.lexical, { int8: true });
    expect(m.info.onnx.endsWith("model.onnx")).toBe(true);
    const [q] = await m.encodeQueries(["river sea"]);
    const docs = await m.encodeDocuments(DOCS);
    const scores = docs.map((d) => maxsim(q!, d));
    expect(scores.indexOf(Math.max(...scores))).toBe(4);
  });
});

describe("tokenize (content ids for chunking)", () => {
  it("gives the document's content ids: no specials, no prefix, lower-cased, never truncated", async () => {
    const m = await load(fx.lexical, { documentLength: 8 });
    const ids = m.tokenize("  Cats sleep on the bed, cats sleep.  ");
    expect(m.tokenStrings(ids)).toEqual(["cats", "sleep", "on", "the", "bed", ",", "cats", "sleep", "."]);
    // The encoded document holds exactly these ids between its specials and prefix, truncated.
    const [d] = await m.encodeDocuments(["Cats sleep"]);
    expect(Array.from(d!.tokenIds).slice(2, -1)).toEqual(Array.from(m.tokenize("Cats sleep")));
    expect(m.tokenize("").length).toBe(0);
  });

  it("byte-level BPE keeps case and the leading-space pieces", async () => {
    const m = await load(fx.lfm2Style);
    expect(m.tokenStrings(m.tokenize("Cats sleep."))).toEqual(["C", "at", "s", "Ġsleep", "."]);
  });
});
