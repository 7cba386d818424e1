import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { compileFilter } from "../../src/collection/filter.js";
import type { Filter, Metadata } from "../../src/collection/filter.js";
import { highlight } from "../../src/collection/highlight.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureFixtures, LANGUAGES, LEXICON } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import type { FixturePaths } from "../../src/fixtures/index.js";
import { Prng } from "../../src/fixtures/prng.js";
import { maxsimScore } from "../../src/scoring/maxsim.js";

let fx: FixturePaths;
let encoder: ColBERT;
let tmp: string;

beforeAll(async () => {
  fx = await ensureFixtures();
  encoder = await ColBERT.fromPretrained(fx.multilingual);
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-collection-"));
});

afterAll(async () => {
  await encoder.dispose();
  await rm(tmp, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return MaxsimError.isInstance(e) ? `${e.code}: ${e.message}` : `not a MaxsimError: ${String(e)}`;
  }
  return "no error";
}

const small = [
  { id: "fr", text: "Le chat noir dort sur le canapé.", metadata: { lang: "fr", year: 2020 } },
  { id: "de", text: "Der Hund bellt im Garten.", metadata: { lang: "de", year: 2021 } },
  { id: "es", text: "El pan está en la mesa de la cocina.", metadata: { lang: "es", year: 2022 } },
];

describe("Collection in memory", () => {
  it("adds, queries cross-lingually, gets, upserts and deletes", async () => {
    const c = await Collection.create(null, { model: encoder });
    expect(c.size).toBe(0);
    expect(await c.query("cat")).toEqual([]);
    const progress: [number, number][] = [];
    const ids = await c.addDocuments([...small, { text: "Il pleut." }], { batchSize: 2, onProgress: (d, t) => progress.push([d, t]) });
    expect(ids.slice(0, 3)).toEqual(["fr", "de", "es"]);
    expect(ids[3]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(progress).toEqual([
      [2, 4],
      [4, 4],
    ]);
    expect(c.size).toBe(4);

    // English queries find the translations first.
    expect((await c.query("cat", { k: 1 }))[0]!.id).toBe("fr");
    expect((await c.query("dog", { k: 1 }))[0]!.id).toBe("de");
    expect((await c.query("bread on the table", { k: 1 }))[0]!.id).toBe("es");
    const r = await c.query("the dog in the garden", { k: 2 });
    expect(r[0]).toMatchObject({ id: "de", text: small[1]!.text, metadata: { lang: "de", year: 2021 } });

    // Scores are MaxSim of the encoder's vectors.
    const [q] = await encoder.encodeQueries(["cat"]);
    const [d] = await encoder.encodeDocuments([small[0]!.text]);
    expect((await c.query("cat", { k: 1 }))[0]!.score).toBeCloseTo(maxsimScore(q!, d!), 4);

    expect(await c.getDocuments(["es", "missing"])).toEqual([{ id: "es", text: small[2]!.text, metadata: small[2]!.metadata }, undefined]);
    expect(await codeOf(c.addDocuments([{ id: "fr", text: "x" }]))).toMatch(/^DUPLICATE_ID: .*"fr" already exists.*upsertDocuments/);
    expect(
      await codeOf(
        c.addDocuments([
          { id: "n", text: "a" },
          { id: "n", text: "b" },
        ]),
      ),
    ).toMatch(/^DUPLICATE_ID: .*twice/);
    expect(c.size).toBe(4);

    await c.upsertDocuments([{ id: "fr", text: "Der Hund schläft.", metadata: { lang: "de" } }]);
    expect((await c.getDocuments(["fr"]))[0]).toEqual({ id: "fr", text: "Der Hund schläft.", metadata: { lang: "de" } });
    expect((await c.query("cat", { k: 4 })).map((x) => x.id)).not.toContain(undefined);
    expect((await c.query("dog", { k: 4, filter: { lang: "de" } })).map((x) => x.id).sort()).toEqual(["de", "fr"]);

    expect(await c.deleteDocuments(["de", "nope"])).toBe(1);
    expect(c.size).toBe(3);
    expect((await c.query("dog", { k: 10 })).map((x) => x.id)).not.toContain("de");
    expect((await c.query("dog", { k: 10, filter: { lang: "de" } })).map((x) => x.id)).toEqual(["fr"]);
    await c.close();
  });

  it("addDocuments calls retrain the index centroids as the collection doubles (autoRetrain: false keeps them); one call trains once, after its last batch", async () => {
    const rng = new Prng(17);
    const docs = Array.from({ length: 48 }, (_, i) => ({
      id: `d${i}`,
      text: Array.from({ length: 6 }, () => LEXICON[Math.floor(rng.uniform() * LEXICON.length)]!.key).join(" "),
    }));
    for (const autoRetrain of [true, false]) {
      const c = await Collection.create(null, { model: encoder, indexOptions: { minTrainTokens: 40, centroids: 8, autoRetrain } });
      const trained: number[] = [];
      for (let i = 0; i < docs.length; i += 4) {
        await c.addDocuments(docs.slice(i, i + 4));
        trained.push(c.index.trainedTokens);
      }
      const distinct = [...new Set(trained.filter((t) => t > 0))];
      if (autoRetrain) {
        expect(distinct.length).toBeGreaterThanOrEqual(3);
        distinct.slice(1).forEach((t, i) => expect(t).toBeGreaterThanOrEqual(2 * distinct[i]!));
        expect(c.index.tokensSinceTraining).toBeLessThan(c.index.trainedTokens);
      } else {
        expect(distinct).toHaveLength(1);
        expect(c.index.tokensSinceTraining).toBeGreaterThan(c.index.trainedTokens);
      }
      await c.close();
    }
    // One call of 12 batches is one bulk load: no training between its batches, one at the end on everything.
    const c = await Collection.create(null, { model: encoder, indexOptions: { minTrainTokens: 40, centroids: 8 } });
    const during: number[] = [];
    let tokens = 0;
    await c.addDocuments(docs, {
      batchSize: 4,
      onBatch: (b) => {
        during.push(c.index.trainedTokens);
        tokens += b.tokens;
      },
    });
    expect(during).toEqual(Array(12).fill(0));
    expect(c.index.trainedTokens).toBe(tokens);
    await c.close();
  });

  it("deleteWhere deletes exactly the matching documents (and refuses {}); findIds sees writes", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments([...small, { id: "fr2", text: "Il pleut sur la ville.", metadata: { lang: "fr", year: 2023, tags: ["weather"] } }]);
    expect(c.findIds({ lang: "fr" })).toEqual(["fr", "fr2"]);
    expect(c.findIds((_m, id) => id.startsWith("d"))).toEqual(["de"]);
    expect(await codeOf(c.deleteWhere({}))).toMatch(/^INVALID_FILTER: deleteWhere\(\{\}\) would delete every document/);
    expect(await codeOf(c.deleteWhere({ lang: { $like: "f" } } as unknown as Filter))).toMatch(/^INVALID_FILTER: .*\$like/);
    expect(c.size).toBe(4);
    expect(await c.deleteWhere({ lang: "fr" })).toBe(2);
    expect([...c.ids()].sort()).toEqual(["de", "es"]);
    expect((await c.query("cat", { k: 5 })).map((h) => h.id).sort()).toEqual(["de", "es"]);
    expect(await c.deleteWhere({ lang: "fr" })).toBe(0);
    await c.addDocuments([{ id: "fr3", text: "Le chat dort.", metadata: { lang: "fr" } }]);
    expect(c.findIds({ lang: "fr" })).toEqual(["fr3"]);
    await c.close();
  });

  it("k = 0, bad k, batch queries, empty input, aborted signal", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(small);
    expect(await c.query("cat", { k: 0 })).toEqual([]);
    expect((await c.query("cat", { k: 99 })).length).toBe(3);
    expect(await codeOf(c.query("cat", { k: -1 }))).toMatch(/^INVALID_OPTION/);
    const batch = await c.queryBatch(["cat", "dog"], { k: 1 });
    expect(batch.map((b) => b[0]!.id)).toEqual(["fr", "de"]);
    expect(await c.queryBatch([])).toEqual([]);
    expect(await c.addDocuments([])).toEqual([]);
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(c.addDocuments([{ text: "Le chat." }], { signal: ac.signal }))).toMatch(/^ABORTED/);
    expect(c.size).toBe(3);
    expect(await codeOf(c.query("cat", { filter: { lang: { $like: "f" } } as unknown as Filter }))).toMatch(/^INVALID_FILTER: .*"\$like" on field "lang"/);
    await c.close();
    expect(await codeOf(c.query("cat"))).toMatch(/closed/);
  });

  it("explain: the query token 'cat' matches 'chat' and its span points at the word", async () => {
    const c = await Collection.create(null, { model: encoder });
    await c.addDocuments(small);
    const e = await c.explain("black cat", "fr");
    const text = small[0]!.text;
    const cat = e.matches.find((m) => m.queryToken === "cat")!;
    expect(cat.docToken).toBe("chat");
    expect(text.slice(...cat.span!)).toBe("chat");
    const black = e.matches.find((m) => m.queryToken === "black")!;
    expect(text.slice(...black.span!)).toBe("noir");
    expect(e.score).toBeCloseTo(
      e.matches.reduce((a, m) => a + m.score, 0),
      6,
    );
    expect(e.score).toBeCloseTo((await c.query("black cat", { k: 1 }))[0]!.score, 4);
    expect(highlight(text, [cat, black])).toBe("Le «chat» «noir» dort sur le canapé.");
    expect(await codeOf(c.explain("cat", "nope"))).toMatch(/^NOT_FOUND/);
    await c.close();
  });
});

describe("explain reuses the stored vectors", () => {
  it("runs no document through the model again (token ids come from the tokenizer)", async () => {
    let documentRuns = 0;
    // The real encoder, counting its document runs.
    const counting = Object.create(encoder) as ColBERT;
    counting.encodeDocuments = (texts, opts) => {
      documentRuns += texts.length;
      return encoder.encodeDocuments(texts, opts);
    };
    const c = await Collection.create(null, { model: counting });
    await c.addDocuments(small);
    const before = documentRuns;
    const hits = await c.query("black cat", { k: 3 });
    const explained = await Promise.all(hits.map((h) => c.explain("black cat", h.id)));
    expect(documentRuns).toBe(before);
    const fr = explained[hits.findIndex((h) => h.id === "fr")]!;
    expect(fr.matches.find((m) => m.queryToken === "cat")!.docToken).toBe("chat");
    for (let i = 0; i < hits.length; i++) expect(explained[i]!.score).toBeCloseTo(hits[i]!.score, 4);
    await c.close();
  });

  it("outputTokenIds equals encode's tokenIds (queries with expansion, documents with skiplist and truncation, both tokenizers)", async () => {
    const texts = ["Le chat noir, dort!", "", "a b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(20), "The black cat sleeps on the table."];
    for (const dir of [fx.multilingual, fx.lfm2Style, fx.lexicalSt]) {
      const m = await ColBERT.fromPretrained(dir, { documentLength: 40 });
      try {
        for (const as of ["query", "document"] as const) {
          const encoded = await m.encode(texts, { as, batchSize: 4 });
          texts.forEach((t, i) => expect(Array.from(m.outputTokenIds(t, as)), `${dir} ${as} ${i}`).toEqual(Array.from(encoded[i]!.tokenIds)));
        }
      } finally {
        await m.dispose();
      }
    }
  });
});

describe("explain with a byte-level BPE tokenizer", () => {
  it("spans of Ġ-prefixed and split-byte tokens point at the words", async () => {
    const c = await Collection.create(null, { model: fx.lfm2Style });
    const text = "The black cat sleeps on the table.";
    await c.addDocuments([{ id: "en", text }]);
    const e = await c.explain("a cat on a table", "en"); // "cat" after a space: the Ġcat token
    const words = e.matches.filter((m) => m.score > 0.99 && m.span !== null && /cat|table/.test(m.docToken)).map((m) => text.slice(...m.span!));
    expect(words).toEqual(["cat", "table"]);
    await c.close();
  });
});

/** A seeded corpus from the fixture lexicon: `n` documents in nine languages with metadata. */
function corpus(n: number, seed: number): { id: string; text: string; metadata: Metadata }[] {
  const rng = new Prng(seed);
  const concepts = LEXICON.filter((c) => LANGUAGES.every((l) => c.words[l].length > 0));
  return Array.from({ length: n }, (_, i) => {
    const lang = LANGUAGES[i % LANGUAGES.length]!;
    const words = Array.from({ length: 6 }, () => concepts[Math.floor(rng.uniform() * concepts.length)]!.words[lang][0]!);
    return { id: `d${String(i).padStart(4, "0")}`, text: words.join(" "), metadata: { lang, i, group: i % 1000, tags: i % 3 === 0 ? ["x"] : ["y"] } };
  });
}

describe("filters equal brute force with the filter", () => {
  const N = 1500;
  let c: Collection | undefined;
  let docs: ReturnType<typeof corpus>;
  let docVectors: Map<string, Awaited<ReturnType<ColBERT["encodeDocuments"]>>[number]>;

  beforeAll(async () => {
    docs = corpus(N, 7);
    // A low training threshold so `search` is the approximate (PLAID) path on this corpus.
    c = await Collection.create(null, { model: encoder, indexOptions: { minTrainTokens: 2000 } });
    await c.addDocuments(docs, { batchSize: 256 });
    expect(c.index.trained).toBe(true);
    const enc = await encoder.encodeDocuments(docs.map((d) => d.text));
    docVectors = new Map(docs.map((d, i) => [d.id, enc[i]!]));
  });

  afterAll(async () => {
    await c?.close();
  });

  /** Every document passing the filter with its reference MaxSim score, best first. */
  async function brute(query: string, filter: Filter): Promise<{ id: string; score: number }[]> {
    const [q] = await encoder.encodeQueries([query]);
    const pass = compileFilter(filter);
    return docs
      .filter((d) => pass(d.metadata, d.id))
      .map((d) => ({ id: d.id, score: maxsimScore(q!, docVectors.get(d.id)!) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * `got` is an exact top-k of `all` up to float rounding: the same scores rank by rank, each id's
   * reference score equals its reported score, and nothing left out scores above the last one
   * (ties at equal scores may order differently between float32 kernels and the reference).
   */
  function expectExactTopK(got: { id: string; score: number }[], all: { id: string; score: number }[], k: number): void {
    const expected = all.slice(0, k);
    expect(got.length).toBe(expected.length);
    const ref = new Map(all.map((a) => [a.id, a.score]));
    got.forEach((g, i) => {
      expect(g.score).toBeCloseTo(expected[i]!.score, 4);
      expect(ref.get(g.id)).toBeCloseTo(g.score, 4);
    });
    const ids = new Set(got.map((g) => g.id));
    const last = got[got.length - 1]?.score ?? Infinity;
    for (const a of all) if (!ids.has(a.id)) expect(a.score).toBeLessThanOrEqual(last + 1e-4);
  }

  const cases: [string, Filter, boolean][] = [
    ["0.07% selectivity (one document), approximate search", { group: 42, lang: "pt" }, false],
    ["0.07% selectivity via $in on ids, approximate search", (_m, id) => id === "d0007", false],
    ["1% selectivity ($and, $lt), approximate search", { $and: [{ lang: "fr" }, { i: { $lt: 135 } }] }, false],
    [
      "11% selectivity, $or / $in / $nin, exact",
      { $or: [{ lang: { $in: ["de"] } }, { tags: "x", lang: { $nin: ["en", "fr", "de", "es", "pt", "zh", "ar", "ja"] } }] },
      true,
    ],
    ["67% selectivity ($ne on an array field), exact", { tags: { $ne: "x" } }, true],
  ];
  for (const [name, filter, exact] of cases) {
    it(name, async () => {
      for (const query of ["cat", "the dog eats bread", "water and fire"]) {
        const all = await brute(query, filter);
        const got = await c!.query(query, { k: 10, filter, exact });
        expectExactTopK(got, all, 10);
        const pass = compileFilter(filter);
        for (const g of got) expect(pass(g.metadata, g.id)).toBe(true);
      }
    });
  }

  it("a filter matching nothing returns []", async () => {
    expect(await c!.query("cat", { filter: { lang: "xx" } })).toEqual([]);
  });

  it("findIds equals brute force with the filter, in ids() order", () => {
    for (const [, filter] of [...cases, ["$contains", { tags: { $contains: "x" }, lang: { $contains: "r" } }, true] as const]) {
      const pass = compileFilter(filter);
      expect(c!.findIds(filter)).toEqual([...c!.ids()].filter((id) => pass(docs.find((d) => d.id === id)!.metadata, id)));
    }
    expect(c!.findIds({ lang: "xx" })).toEqual([]);
  });
});

describe("Collection codecs", () => {
  it("float16 and residual-2 collections answer cross-lingual queries like float32, hold codec-sized vectors, and reopen unchanged", async () => {
    const rng = new Prng(29);
    const words = LEXICON.filter((c) => c.words.fr.length > 0 && c.words.en.length > 0);
    const picks = Array.from({ length: 150 }, () => Array.from({ length: 6 }, () => words[Math.floor(rng.uniform() * words.length)]!));
    const docs = picks.map((p, i) => ({ id: `fr-${i}`, text: p.map((c) => c.words.fr[0]).join(" "), metadata: { n: i } }));
    const questions = picks.slice(0, 30).map((p) => p.map((c) => c.words.en[0]).join(" "));
    const top1: Record<string, string[]> = {};
    for (const codec of ["float32", "float16", "residual-2"] as const) {
      const dir = path.join(tmp, `codec-${codec}`);
      const c = await Collection.create(dir, { model: encoder, codec, indexOptions: { minTrainTokens: 400, centroids: 32 } });
      await c.addDocuments(docs, { batchSize: 16 }); // one bulk load: trains once, after the last batch
      expect(c.index.trained).toBe(true);
      let tokens = 0;
      for (const id of c.ids()) tokens += c.index.get(id)!.length;
      expect(c.index.vectorBytesInMemory()).toBe(tokens * c.index.bytesPerToken());
      const hits = await Promise.all(questions.map((q) => c.query(q, { k: 3 })));
      top1[codec] = hits.map((h) => h[0]!.id);
      await c.close();
      const again = await Collection.open(dir, { readOnly: true });
      expect(await Promise.all(questions.map((q) => again.query(q, { k: 3 })))).toEqual(hits);
      await again.close();
    }
    // float32 finds the translated source document; the compressed codecs agree with it.
    expect(top1["float32"]!.filter((id, i) => id === `fr-${i}`).length).toBeGreaterThanOrEqual(27);
    for (const codec of ["float16", "residual-2"]) expect(top1[codec]!.filter((id, i) => id === top1["float32"]![i]).length).toBeGreaterThanOrEqual(27);
  });
});

describe("Collection on disk", () => {
  it("persists across open in this process and in a child process; model mismatch is typed", async () => {
    const dir = path.join(tmp, "persist");
    const c = await Collection.create(dir, { model: fx.multilingual });
    await c.addDocuments(small);
    const before = await c.query("cat", { k: 3 });
    await c.close();

    const again = await Collection.open(dir);
    expect(again.encoder.modelId).toBe(encoder.modelId);
    expect(again.size).toBe(3);
    expect(await again.query("cat", { k: 3 })).toEqual(before);
    await again.deleteDocuments(["es"]);
    await again.close();

    const script = `
      import { Collection } from "./src/collection/collection.js";
      const c = await Collection.open(${JSON.stringify(dir)}, { readOnly: true });
      console.log(JSON.stringify({ size: c.size, hits: await c.query("cat", { k: 3 }) }));
      await c.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=@maxsim/source", "--import", "tsx", "--input-type=module", "-e", script], {
      cwd: path.resolve(__dirname, "../.."),
    });
    const child = JSON.parse(stdout) as { size: number; hits: typeof before };
    expect(child.size).toBe(2);
    expect(child.hits).toEqual(before.filter((h) => h.id !== "es"));

    expect(await codeOf(Collection.open(dir, { model: fx.lexical }))).toMatch(
      new RegExp(
        `^MODEL_MISMATCH: .*built with model ${fx.multilingual.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*opened with ${fx.lexical.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      ),
    );
    expect(await codeOf(Collection.open(path.join(tmp, "nothing-here")))).toMatch(/^INDEX_NOT_FOUND/);
    expect(await codeOf(Collection.create(dir, { model: encoder }))).toMatch(/^INDEX_EXISTS/);
    const bare = await MaxSimIndex.create(path.join(tmp, "bare"), { dim: encoder.dim });
    await bare.close();
    expect(await codeOf(Collection.open(path.join(tmp, "bare"), { model: encoder }))).toMatch(
      /^INVALID_OPTION: .*bare.* is a MaxSim index but not a collection/,
    );
  });
});
