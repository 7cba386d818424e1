/**
 * XQuAD (Artetxe et al., 2020; CC BY-SA 4.0) as a retrieval benchmark: the corpus is the 240
 * paragraphs in one language, the queries the 1,190 questions in another, and a question's one
 * relevant paragraph is the one that holds its id. Paragraphs are professionally translated and
 * appear in the same order in every language file, so their position is a shared id.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MaxsimError } from "../../errors.js";
import type { EvalDocument, EvalQuery, RetrievalDataset } from "../dataset.js";

/** The languages XQuAD ships. */
export const XQUAD_LANGUAGES = ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"] as const;

interface SquadFile {
  data: { paragraphs: { context: string; qas: { id: string; question: string }[] }[] }[];
}

/** One language of XQuAD: its paragraphs, questions and question → paragraph map. */
export interface XquadLanguage {
  paragraphs: EvalDocument[];
  questions: EvalQuery[];
  paragraphOf: Map<string, string>;
}

/**
 * Reads `xquad.<lang>.json` from `dir` (e.g. `../shared/data/xquad`).
 *
 * @throws `DATASET_INVALID` when the file is missing or not SQuAD JSON.
 */
export async function loadXquadLanguage(dir: string, lang: string): Promise<XquadLanguage> {
  const path = join(dir, `xquad.${lang}.json`);
  let parsed: SquadFile;
  try {
    parsed = JSON.parse(await readFile(path, "utf8")) as SquadFile;
  } catch (error) {
    throw new MaxsimError(
      "DATASET_INVALID",
      `Cannot read XQuAD file ${path}. Point --data at the folder holding xquad.<lang>.json (languages: ${XQUAD_LANGUAGES.join(", ")}).`,
      { cause: error },
    );
  }
  if (!Array.isArray(parsed?.data)) throw new MaxsimError("DATASET_INVALID", `${path} is not SQuAD JSON (no "data" array).`);
  const paragraphs: EvalDocument[] = [];
  const questions: EvalQuery[] = [];
  const paragraphOf = new Map<string, string>();
  for (const article of parsed.data) {
    for (const paragraph of article.paragraphs) {
      const id = `p${paragraphs.length}`;
      paragraphs.push({ id, text: paragraph.context });
      for (const qa of paragraph.qas) {
        questions.push({ id: qa.id, text: qa.question });
        paragraphOf.set(qa.id, id);
      }
    }
  }
  return { paragraphs, questions, paragraphOf };
}

/**
 * The (query language, document language) retrieval task.
 *
 * @example
 * ```ts
 * const ds = await loadXquad("../shared/data/xquad", { queryLang: "en", docLang: "de" });
 * console.log(ds.corpus.length, ds.queries.length); // 240 1190
 * ```
 */
export async function loadXquad(dir: string, langs: { queryLang: string; docLang: string }): Promise<RetrievalDataset> {
  const docs = await loadXquadLanguage(dir, langs.docLang);
  const qs = langs.queryLang === langs.docLang ? docs : await loadXquadLanguage(dir, langs.queryLang);
  return xquadPair(qs, docs, langs);
}

/** Builds the task from already-loaded languages (the matrix loads each language once). */
export function xquadPair(qs: XquadLanguage, docs: XquadLanguage, langs: { queryLang: string; docLang: string }): RetrievalDataset {
  const qrels = new Map<string, Map<string, number>>();
  for (const q of qs.questions) {
    const pid = qs.paragraphOf.get(q.id);
    if (pid !== undefined) qrels.set(q.id, new Map([[pid, 1]]));
  }
  return { name: `xquad[q=${langs.queryLang},d=${langs.docLang}]`, corpus: docs.paragraphs, queries: qs.questions, qrels };
}
