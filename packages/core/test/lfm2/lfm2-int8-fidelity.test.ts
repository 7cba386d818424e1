import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LFM2_TINY_WORDS, makeLfm2Checkpoint } from "../../scripts/make-lfm2-checkpoint.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { encodeCorpus, evaluateDataset } from "../../src/eval/evaluate.js";
import { loadXquad } from "../../src/eval/loaders/xquad.js";
import type { RetrievalDataset } from "../../src/eval/dataset.js";
import { Prng } from "../../src/fixtures/prng.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import type { TokenEmbeddings } from "../../src/types.js";
import { cosine } from "../helpers.js";

// The int8 graph's fidelity gates on the tiny LFM2 checkpoints (same builder, same kernels as the
// full-size model): worst per-token cosine to the f32 graph over the fixture texts and a
// multilingual sample, and MaxSim top-10 agreement on an eval-harness run (XQuAD-shaped fixture).

const MULTILINGUAL = [
  "Le chat dort sur le canapé pendant que la pluie tombe.",
  "Der Hund bellt laut im Garten, weil der Briefträger kommt.",
  "El río atraviesa la ciudad antigua y llega al mar.",
  "Кошка спит на диване, а за окном идёт дождь.",
  "القطة نائمة على الأريكة بينما يهطل المطر.",
  "猫在沙发上睡觉，外面正在下雨。",
  "Η γάτα κοιμάται στον καναπέ ενώ βρέχει.",
  "बिल्ली सोफे पर सो रही है जबकि बारिश हो रही है।",
  "Kedi yağmur yağarken kanepede uyuyor.",
  "Con mèo ngủ trên ghế sofa trong khi trời mưa.",
];

let root: string;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** An XQuAD-shaped fixture: paragraphs of tiny-vocabulary words and multilingual sentences, one question each. */
async function fixtureDataset(dir: string): Promise<RetrievalDataset> {
  const rng = new Prng("lfm2-int8-fixture");
  const word = () => LFM2_TINY_WORDS[Math.floor(rng.uniform() * LFM2_TINY_WORDS.length)]!;
  const paragraphs = Array.from({ length: 30 }, (_, i) => {
    const words = Array.from({ length: 8 + Math.floor(rng.uniform() * 40) }, word).join(" ");
    return i % 3 === 0 ? `${MULTILINGUAL[i % MULTILINGUAL.length]} ${words}` : words;
  });
  const questions = paragraphs.map((p, i) => ({ id: `q${i}`, question: p.split(" ").slice(2, 7).join(" ") }));
  const squad = {
    data: [{ paragraphs: paragraphs.map((context, i) => ({ context, qas: [{ id: questions[i]!.id, question: questions[i]!.question, answers: [] }] })) }],
  };
  await writeFile(join(dir, "xquad.xx.json"), JSON.stringify(squad));
  return loadXquad(dir, { queryLang: "xx", docLang: "xx" });
}

function worstCosine(a: TokenEmbeddings[], b: TokenEmbeddings[]): number {
  let worst = 1;
  a.forEach((e, i) => {
    expect(b[i]!.length).toBe(e.length);
    for (let t = 0; t < e.length; t++)
      worst = Math.min(worst, cosine(e.data.subarray(t * e.dim, (t + 1) * e.dim), b[i]!.data.subarray(t * e.dim, (t + 1) * e.dim)));
  });
  return worst;
}

for (const variant of ["causal", "bidirectional"] as const) {
  describe(`int8 LFM2 (${variant}) against its f32 graph`, () => {
    let f32: ColBERT;
    let int8: ColBERT;
    let dataset: RetrievalDataset;

    beforeAll(async () => {
      root ??= await mkdtemp(join(tmpdir(), "maxsim-lfm2-int8-"));
      const info = await makeLfm2Checkpoint(join(root, variant), { variant });
      const cacheDir = join(root, "cache");
      f32 = await ColBERT.fromPretrained(info.dir, { cacheDir, intraOpThreads: 1 });
      int8 = await ColBERT.fromPretrained(info.dir, { cacheDir, intraOpThreads: 1, int8: true });
      dataset = await fixtureDataset(await mkdtemp(join(root, "xquad-")));
    });

    afterAll(async () => {
      await f32?.dispose();
      await int8?.dispose();
    });

    it("keeps every token within cosine 0.99 of f32 (fixture texts, multilingual sample, queries)", async () => {
      const docs = [...dataset.corpus.map((d) => d.text), ...MULTILINGUAL];
      const worstDoc = worstCosine(await f32.encodeDocuments(docs), await int8.encodeDocuments(docs));
      const queries = [...dataset.queries.map((q) => q.text), ...MULTILINGUAL.map((t) => t.slice(0, 24))];
      const worstQuery = worstCosine(await f32.encodeQueries(queries), await int8.encodeQueries(queries));
      expect(worstDoc).toBeGreaterThanOrEqual(0.99);
      expect(worstQuery).toBeGreaterThanOrEqual(0.99);
      expect(Math.min(worstDoc, worstQuery)).toBeLessThan(1 - 1e-6); // really quantised
    });

    it("gives a document the same int8 vectors alone and in a batch (per-token activation scales)", async () => {
      const [alone] = await int8.encodeDocuments([MULTILINGUAL[5]!]);
      const batch = await int8.encodeDocuments([dataset.corpus[1]!.text, MULTILINGUAL[5]!, dataset.corpus[2]!.text]);
      expect(worstCosine([alone!], [batch[1]!])).toBeGreaterThanOrEqual(0.99999);
    });

    it("agrees with f32 on the MaxSim top-10 of an eval-harness run", async () => {
      const create = (dim: number) => MaxSimIndex.inMemory({ dim });
      const [a, b] = [await encodeCorpus(f32, dataset.corpus, create), await encodeCorpus(int8, dataset.corpus, create)];
      const texts = dataset.queries.map((q) => q.text);
      const [qa, qb] = [await f32.encodeQueries(texts), await int8.encodeQueries(texts)];
      let overlap = 0;
      let sameTop1 = 0;
      for (let i = 0; i < texts.length; i++) {
        const ra = (await a.index.searchExact(qa[i]!, { k: 10 })).map((h) => h.id);
        const rb = (await b.index.searchExact(qb[i]!, { k: 10 })).map((h) => h.id);
        overlap += ra.filter((id) => rb.includes(id)).length / 10;
        if (ra[0] === rb[0]) sameTop1++;
      }
      await a.index.close();
      await b.index.close();
      expect(overlap / texts.length).toBeGreaterThanOrEqual(0.9);
      expect(sameTop1 / texts.length).toBeGreaterThanOrEqual(0.9);
      // The harness's own metrics move by little.
      const ma = (await evaluateDataset(f32, dataset, create, { modes: ["exact"] })).modes.exact!.scores;
      const mb = (await evaluateDataset(int8, dataset, create, { modes: ["exact"] })).modes.exact!.scores;
      expect(Math.abs(ma["ndcg@10"] - mb["ndcg@10"])).toBeLessThanOrEqual(0.05);
    });
  });
}
