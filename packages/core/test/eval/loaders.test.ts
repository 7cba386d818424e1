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
  JSON.stringify({
    data: [{ paragraphs: contexts.map(([context, qas]) => ({ context, qas: qas.map(([id, question]) => ({ id, question, answers: [] })) })) }],
  });

describe("XQuAD loader", () => {
  it("pairs questions of one language with the paragraphs of another by shared ids", async () => {
    await writeFile(
      join(dir, "xquad.en.json"),
      squad([
        ["The cat sleeps.", [["q1", "Who sleeps?"]]],
        [
          "Rain falls.",
          [
            ["q2", "What falls?"],
            ["q3", "When?"],
          ],
        ],
      ]),
    );
    await writeFile(
      join(dir, "xquad.de.json"),
      squad([
        ["Die Katze schläft.", [["q1", "Wer schläft?"]]],
        [
          "Regen fällt.",
          [
            ["q2", "Was fällt?"],
            ["q3", "Wann?"],
          ],
        ],
      ]),
    );
    const ds = await loadXquad(dir, { queryLang: "en", docLang: "de" });
    expect(ds.name).toBe("xquad[q=en,d=de]");
    expect(ds.corpus).toEqual([
      { id: "p0", text: "Die Katze schläft." },
      { id: "p1", text: "Regen fällt." },
    ]);
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
    expect(ds.corpus).toEqual([
      { id: "d1", text: "one", title: "T" },
      { id: "d2", text: "two" },
    ]);
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

describe("NanoBEIR loader", () => {
  it("reads the parquet layout from a local folder", async () => {
    const { parquetWriteFile } = await import("hyparquet-writer");
    const { loadNanoBeir } = await import("../../src/eval/loaders/nanobeir.js");
    const nano = join(dir, "nano");
    for (const sub of ["corpus", "queries", "qrels"]) await mkdir(join(nano, sub), { recursive: true });
    const file = (sub: string) => join(nano, sub, "train-00000-of-00001.parquet");
    parquetWriteFile({
      filename: file("corpus"),
      columnData: [
        { name: "_id", data: ["d1", "d2"], type: "STRING" },
        { name: "text", data: ["alpha", "beta"], type: "STRING" },
      ],
    });
    parquetWriteFile({
      filename: file("queries"),
      columnData: [
        { name: "_id", data: ["q1", "q2"], type: "STRING" },
        { name: "text", data: ["a?", "unjudged"], type: "STRING" },
      ],
    });
    parquetWriteFile({
      filename: file("qrels"),
      columnData: [
        { name: "query-id", data: ["q1"], type: "STRING" },
        { name: "corpus-id", data: ["d2"], type: "STRING" },
      ],
    });
    const ds = await loadNanoBeir(nano);
    expect(ds.corpus).toEqual([
      { id: "d1", text: "alpha" },
      { id: "d2", text: "beta" },
    ]);
    expect(ds.queries).toEqual([{ id: "q1", text: "a?" }]);
    expect(ds.qrels.get("q1")!.get("d2")).toBe(1);
  });

  it("fails offline with HUB_OFFLINE and says how to use a local copy", async () => {
    const { loadNanoBeir } = await import("../../src/eval/loaders/nanobeir.js");
    // A closed local port stands in for an unreachable hub.
    const error = await loadNanoBeir("SciFact", { endpoint: "http://127.0.0.1:9", cacheDir: join(dir, "cache") }).catch((e: unknown) => e);
    expect(MaxsimError.isInstance(error) && error.code).toBe("HUB_OFFLINE");
    expect((error as Error).message).toMatch(/zeta-alpha-ai\/NanoSciFact.*pass its folder/s);
  });

  it("rejects unknown short names with the list of known ones", async () => {
    const { nanoBeirRepo } = await import("../../src/eval/loaders/nanobeir.js");
    expect(nanoBeirRepo("NanoNFCorpus")).toBe("zeta-alpha-ai/NanoNFCorpus");
    expect(() => nanoBeirRepo("Nope")).toThrow(/SciFact/);
  });
});
