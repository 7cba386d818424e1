import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxsimError } from "../../src/errors.js";
import { loadBeir } from "../../src/eval/loaders/beir.js";
import { loadXquad } from "../../src/eval/loaders/xquad.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maxsim-eval-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const squad = (contexts: [string, [string, string][]][]) =>
  JSON.stringify({ data: [{ paragraphs: contexts.map(([context, qas]) => ({ context, qas: qas.map(([id, question]) => ({ id, question, answers: [] })) })) }] });

describe("XQuAD loader", () => {
  it("pairs questions of one language with the paragraphs of another by shared ids", async () => {
    await writeFile(join(dir, "xquad.en.json"), squad([["The cat sleeps.", [["q1", "Who sleeps?"]]], ["Rain falls.", [["q2", "What falls?"], ["q3", "When?"]]]]));
    await writeFile(join(dir, "xquad.de.json"), squad([["Die Katze schläft.", [["q1", "Wer schläft?"]]], ["Regen fällt.", [["q2", "Was fällt?"], ["q3", "Wann?"]]]]));
    const ds = await loadXquad(dir, { queryLang: "en", docLang: "de" });
    expect(ds.name).toBe("xquad[q=en,d=de]");
    expect(ds.corpus).toEqual([{ id: "p0", text: "Die Katze schläft." }, { id: "p1", text: "Regen fällt." }]);
    expect(ds.queries.map((q) => q.text)).toEqual(["Who sleeps?", "What falls?", "When?"]);
    expect([...ds.qrels.get("q3")!]).toEqual([["p1", 1]]);
  });

  it("names the missing file and the expected folder", async () => {
    const error = await loadXquad(dir, { queryLang: "xx", docLang: "en" }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("DATASET_INVALID");
    expect((error as Error).message).toContain("xquad.xx.json");
  });
});

describe("BEIR loader", () => {
  it("reads corpus, queries and graded qrels, keeping judged queries only", async () => {
    const beir = join(dir, "tiny-beir");
    await mkdir(join(beir, "qrels"), { recursive: true });
    await writeFile(join(beir, "corpus.jsonl"), '{"_id":"d1","title":"T","text":"one"}\n{"_id":"d2","title":"","text":"two"}\n');
    await writeFile(join(beir, "queries.jsonl"), '{"_id":"q1","text":"first"}\n{"_id":"q2","text":"unjudged"}\n');
    await writeFile(join(beir, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td2\t2\nq1\td1\t0\n");
    const ds = await loadBeir(beir);
    expect(ds.corpus).toEqual([{ id: "d1", text: "one", title: "T" }, { id: "d2", text: "two" }]);
    expect(ds.queries).toEqual([{ id: "q1", text: "first" }]);
    expect(ds.qrels.get("q1")!.get("d2")).toBe(2);
  });

  it("points at the malformed line", async () => {
    const beir = join(dir, "bad-beir");
    await mkdir(join(beir, "qrels"), { recursive: true });
    await writeFile(join(beir, "corpus.jsonl"), '{"_id":"d1","text":"one"}\nnot json\n');
    await writeFile(join(beir, "queries.jsonl"), "");
    await writeFile(join(beir, "qrels", "test.tsv"), "");
    await expect(loadBeir(beir)).rejects.toThrow(/corpus\.jsonl:2: not valid JSON/);
  });
});
