/**
 * Loads a BEIR-layout directory: `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl`
 * (`_id`, `text`) and `qrels/<split>.tsv` (`query-id`, `corpus-id`, `score`, with a header line).
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { MaxsimError } from "../../errors.js";
import type { RetrievalDataset } from "../dataset.js";

/** Options for {@link loadBeir}. */
export interface BeirOptions {
  /** Which qrels file to read. @defaultValue "test" */
  split?: string;
}

/**
 * Reads a BEIR dataset from a local directory.
 *
 * @throws `DATASET_INVALID` when a file is missing or a line is malformed (the message names the file and line).
 * @example
 * ```ts
 * import { mkdir, writeFile } from "node:fs/promises";
 * import { loadBeir } from "./beir.js";
 * await mkdir("./scifact/qrels", { recursive: true });
 * await writeFile("./scifact/corpus.jsonl", '{"_id":"d1","title":"Cats","text":"Cats sleep."}\n');
 * await writeFile("./scifact/queries.jsonl", '{"_id":"q1","text":"Do cats sleep?"}\n');
 * await writeFile("./scifact/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
 * const ds = await loadBeir("./scifact");
 * console.log(ds.corpus.length, ds.queries.length, ds.qrels.get("q1")); // 1 1 Map(1) { 'd1' => 1 }
 * ```
 */
export async function loadBeir(dir: string, options: BeirOptions = {}): Promise<RetrievalDataset> {
  const split = options.split ?? "test";
  const corpus = (await readJsonl(join(dir, "corpus.jsonl"))).map(({ value, where }) => ({
    id: field(value, "_id", where),
    text: field(value, "text", where),
    ...(typeof value.title === "string" && value.title !== "" ? { title: value.title } : {}),
  }));
  const queries = (await readJsonl(join(dir, "queries.jsonl"))).map(({ value, where }) => ({
    id: field(value, "_id", where),
    text: field(value, "text", where),
  }));
  const qrelsPath = join(dir, "qrels", `${split}.tsv`);
  const qrels = new Map<string, Map<string, number>>();
  const lines = (await readText(qrelsPath)).split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "" || (i === 0 && /query-id/i.test(line))) return;
    const [qid, docid, grade] = line.split("\t");
    const value = Number(grade);
    if (!qid || !docid || !Number.isFinite(value)) {
      throw new MaxsimError(
        "DATASET_INVALID",
        `${qrelsPath}:${i + 1}: expected "query-id<TAB>corpus-id<TAB>score". Fix the line or regenerate the qrels file.`,
      );
    }
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    judged.set(docid, value);
  });
  // Only judged queries matter for the metrics; keep the query list aligned with them.
  return { name: basename(dir), corpus, queries: queries.filter((q) => qrels.has(q.id)), qrels };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new MaxsimError("DATASET_INVALID", `Cannot read ${path}. A BEIR directory needs corpus.jsonl, queries.jsonl and qrels/<split>.tsv.`, {
      cause: error,
    });
  }
}

async function readJsonl(path: string): Promise<{ value: Record<string, unknown>; where: string }[]> {
  const rows: { value: Record<string, unknown>; where: string }[] = [];
  (await readText(path)).split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${path}:${i + 1}`;
    try {
      rows.push({ value: JSON.parse(line) as Record<string, unknown>, where });
    } catch (error) {
      throw new MaxsimError("DATASET_INVALID", `${where}: not valid JSON. Each line must be one JSON object.`, { cause: error });
    }
  });
  return rows;
}

function field(value: Record<string, unknown>, name: string, where: string): string {
  const v = value[name];
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new MaxsimError("DATASET_INVALID", `${where}: field "${name}" is missing or not a string. Add it to the line.`);
}
