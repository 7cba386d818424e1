/**
 * NanoBEIR (zeta-alpha-ai's 50-query subsets of BEIR) and datasets in the same layout, such as
 * its multilingual translations: three parquet subsets `corpus/` (`_id`, `text`, optional
 * `title`), `queries/` (`_id`, `text`) and `qrels/` (`query-id`, `corpus-id`, optional `score`).
 * Parquet is read with hyparquet (pure JavaScript, no native build), files are fetched from the
 * Hugging Face Hub's dataset `resolve` endpoint and cached, so a second run works offline.
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { MaxsimError } from "../../errors.js";
import { maxsimCacheRoot } from "../../model/cache-dir.js";
import type { RetrievalDataset } from "../dataset.js";

/** Short names accepted by {@link loadNanoBeir}, mapped to `zeta-alpha-ai/Nano<Name>`. */
export const NANOBEIR_DATASETS = [
  "ArguAna",
  "ClimateFEVER",
  "DBPedia",
  "FEVER",
  "FiQA2018",
  "HotpotQA",
  "MSMARCO",
  "NFCorpus",
  "NQ",
  "QuoraRetrieval",
  "SCIDOCS",
  "SciFact",
  "Touche2020",
] as const;

const SUBSETS = ["corpus", "queries", "qrels"] as const;
const FILE = "train-00000-of-00001.parquet";

/** Options for {@link loadNanoBeir}. */
export interface NanoBeirOptions {
  /** Where downloads are cached. @defaultValue `$MAXSIM_CACHE_DIR/datasets` or `~/.cache/maxsim/datasets` */
  cacheDir?: string;
  /** @defaultValue "main" */
  revision?: string;
  /** Hub token for gated datasets. @defaultValue `process.env.HF_TOKEN` */
  token?: string;
  /** @defaultValue `process.env.HF_ENDPOINT ?? "https://huggingface.co"` */
  endpoint?: string;
}

/** Resolves `SciFact`, `NanoSciFact` or a full repo id to a repo id. */
export function nanoBeirRepo(name: string): string {
  if (name.includes("/")) return name;
  const bare = name.replace(/^Nano/i, "");
  const known = NANOBEIR_DATASETS.find((d) => d.toLowerCase() === bare.toLowerCase());
  if (!known) {
    throw new MaxsimError(
      "DATASET_INVALID",
      `Unknown NanoBEIR dataset "${name}". Use one of ${NANOBEIR_DATASETS.join(", ")}, or a full hub repo id in the same layout.`,
    );
  }
  return `zeta-alpha-ai/Nano${known}`;
}

/**
 * Loads a NanoBEIR-layout dataset from a local directory (holding `corpus/`, `queries/`,
 * `qrels/` parquet files) or from the hub by name or repo id.
 *
 * @throws `HUB_OFFLINE` when a file is neither cached nor downloadable (the message says how to
 * use a local copy); `DATASET_INVALID` when a column is missing.
 * @example
 * ```ts
 * const ds = await loadNanoBeir("SciFact"); // zeta-alpha-ai/NanoSciFact
 * console.log(ds.queries.length); // 50
 * ```
 */
export async function loadNanoBeir(nameOrDir: string, options: NanoBeirOptions = {}): Promise<RetrievalDataset> {
  const local = await isDirectory(nameOrDir);
  const repo = local ? nameOrDir : nanoBeirRepo(nameOrDir);
  const read = async (subset: (typeof SUBSETS)[number]) => {
    const bytes = local ? await readLocal(join(nameOrDir, subset, FILE)) : await download(repo, `${subset}/${FILE}`, options);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  };
  const [corpusRows, queryRows, qrelRows] = [await read("corpus"), await read("queries"), await read("qrels")];
  const text = (row: Record<string, unknown>, key: string, subset: string) => {
    const v = row[key];
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    throw new MaxsimError(
      "DATASET_INVALID",
      `${repo}: ${subset} rows need a "${key}" column. Check the dataset layout (corpus: _id, text; queries: _id, text; qrels: query-id, corpus-id).`,
    );
  };
  const qrels = new Map<string, Map<string, number>>();
  for (const row of qrelRows) {
    const qid = text(row, "query-id", "qrels");
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    judged.set(text(row, "corpus-id", "qrels"), row.score === undefined ? 1 : Number(row.score));
  }
  return {
    name: repo,
    corpus: corpusRows.map((row) => {
      const title = typeof row.title === "string" && row.title !== "" ? { title: row.title } : {};
      return { id: text(row, "_id", "corpus"), text: text(row, "text", "corpus"), ...title };
    }),
    queries: queryRows.map((row) => ({ id: text(row, "_id", "queries"), text: text(row, "text", "queries") })).filter((q) => qrels.has(q.id)),
    qrels,
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readLocal(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new MaxsimError("DATASET_INVALID", `Cannot read ${path}. A local NanoBEIR directory holds corpus/, queries/ and qrels/ with ${FILE} in each.`, {
      cause: error,
    });
  }
}

async function download(repo: string, file: string, options: NanoBeirOptions): Promise<Uint8Array> {
  const revision = options.revision ?? "main";
  const cacheRoot = options.cacheDir ?? join(maxsimCacheRoot(), "datasets");
  const cached = join(cacheRoot, repo.replace("/", "--"), revision, file);
  try {
    return await readFile(cached);
  } catch {
    // Not cached yet: download below.
  }
  const endpoint = options.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co";
  const url = `${endpoint}/datasets/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const token = options.token ?? process.env.HF_TOKEN;
  let bytes: Uint8Array;
  try {
    const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new MaxsimError(
      "HUB_OFFLINE",
      `Could not download ${file} of dataset ${repo} from ${endpoint} (${error instanceof Error ? error.message : String(error)}). ` +
        `Check the network and HF_TOKEN, or download the dataset elsewhere and pass its folder (corpus/, queries/, qrels/ parquet) instead of the name.`,
      { cause: error },
    );
  }
  await mkdir(join(cached, ".."), { recursive: true });
  const tmp = `${cached}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, cached);
  return bytes;
}
