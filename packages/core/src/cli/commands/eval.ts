/**
 * `maxsim eval`: standard retrieval metrics for a model on XQuAD's cross-lingual matrix, a BEIR
 * folder or NanoBEIR, exact and approximate search side by side. Every run is written as JSON
 * (with model, date and machine) and, for the matrix, as an SVG heatmap.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ColBERT } from "../../encoder/colbert.js";
import { MaxsimError } from "../../errors.js";
import { modelProgress } from "../progress.js";
import { crossLingualMatrix, DEFAULT_MATRIX_LANGUAGES, matrixSvg, matrixTable, modeSummary } from "../../eval/cross-lingual.js";
import type { RetrievalDataset } from "../../eval/dataset.js";
import { evaluateDataset, type SearchMode } from "../../eval/evaluate.js";
import { loadBeir } from "../../eval/loaders/beir.js";
import { loadNanoBeir } from "../../eval/loaders/nanobeir.js";
import { machineInfo } from "../../eval/machine.js";
import { METRIC_NAMES } from "../../eval/metrics.js";
import { formatTable } from "../../eval/table.js";
import { isFixtureId, resolveFixtureId } from "../../model/fixture-id.js";
import { MaxSimIndex } from "../../index/maxsim-index.js";
import { intOption } from "../options.js";

interface EvalCliOptions {
  model: string;
  dataset: string;
  data?: string;
  langs: string;
  maxQueries?: string;
  modes: string;
  out: string;
  batchSize?: string;
}

const FIXTURE_NOTE = "fixture model: these numbers only prove the evaluation harness works; they say nothing about a real model";

/** Resolves `fixture:<name>` to a generated fixture directory; anything else is returned as is. */
async function resolveModel(model: string): Promise<{ path: string; fixture: boolean }> {
  if (!isFixtureId(model)) return { path: model, fixture: false };
  return { path: await resolveFixtureId(model), fixture: true };
}

function parseModes(value: string): SearchMode[] {
  const modes = value.split(",").map((m) => m.trim());
  for (const m of modes) {
    if (m !== "exact" && m !== "approximate") throw new MaxsimError("INVALID_OPTION", `--modes takes exact and/or approximate, got "${m}".`);
  }
  return modes as SearchMode[];
}

function slug(text: string): string {
  return text
    .replace(/^.*\/(?=[^/]+\/?$)/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .slice(0, 60);
}

/** Registers `maxsim eval`. */
export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate a model: XQuAD cross-lingual matrix, a BEIR folder or NanoBEIR; exact vs approximate search")
    .requiredOption("-m, --model <id|dir>", "hub id, model directory, or fixture:multilingual (offline harness check)")
    .option("-d, --dataset <spec>", "xquad | beir:<dir> | nanobeir:<name|repo|dir>", "xquad")
    .option("--data <dir>", "XQuAD folder (default: $MAXSIM_SHARED/data/xquad, else ../shared/data/xquad from the working directory or beside this checkout)")
    .option("--langs <list>", "matrix languages", DEFAULT_MATRIX_LANGUAGES.join(","))
    .option("--max-queries <n>", "use only the first n questions per language (quick runs)")
    .option("--modes <list>", "exact,approximate", "exact,approximate")
    .option("-o, --out <dir>", "where the JSON (and SVG) results go", "bench")
    .option("--batch-size <n>", "texts per ONNX run")
    .action(async (opts: EvalCliOptions) => {
      const modes = parseModes(opts.modes);
      const maxQueries = intOption("--max-queries", opts.maxQueries);
      const batchSize = intOption("--batch-size", opts.batchSize);
      const { path, fixture } = await resolveModel(opts.model);
      const encoder = await ColBERT.fromPretrained(path, { onProgress: modelProgress, ...(batchSize === undefined ? {} : { batchSize }) });
      const createIndex = (dim: number) => MaxSimIndex.inMemory({ dim });
      const progress = (message: string) => process.stderr.write(`  ${message}\n`);
      const date = new Date().toISOString();
      const base = { model: fixture ? opts.model : encoder.modelId, date, machine: machineInfo(), ...(fixture ? { note: FIXTURE_NOTE } : {}) };
      await mkdir(opts.out, { recursive: true });
      const stem = join(opts.out, `eval-${slug(opts.dataset)}-${slug(base.model)}-${date.slice(0, 19).replace(/[:T]/g, "")}`);
      if (fixture) console.log(`note: ${FIXTURE_NOTE}`);
      try {
        if (opts.dataset === "xquad") {
          const data = resolve(opts.data ?? defaultXquadDir());
          const matrix = await crossLingualMatrix(encoder, data, createIndex, {
            languages: opts.langs
              .split(",")
              .map((l) => l.trim())
              .filter((l) => l !== ""),
            modes,
            ...(maxQueries === undefined ? {} : { maxQueries }),
            onProgress: progress,
          });
          matrix.model = base.model;
          const mode = modes[0]!;
          console.log(`XQuAD (${matrix.documentsPerLanguage} paragraphs, ${matrix.queriesPerLanguage} questions per language), ${base.model}`);
          console.log(`rows: query language, columns: document language (${mode} search)\n`);
          console.log(matrixTable(matrix, "ndcg@10", mode));
          console.log();
          console.log(matrixTable(matrix, "recall@10", mode));
          console.log(`\nmean over all cells:\n${modeSummary(matrix)}`);
          await writeFile(`${stem}.json`, `${JSON.stringify({ ...base, ...matrix, model: base.model }, null, 2)}\n`);
          await writeFile(`${stem}.svg`, matrixSvg(matrix, "ndcg@10", mode));
          console.log(`\nwrote ${stem}.json and ${stem}.svg`);
        } else {
          let dataset: RetrievalDataset;
          if (opts.dataset.startsWith("beir:")) dataset = await loadBeir(opts.dataset.slice(5));
          else if (opts.dataset.startsWith("nanobeir:")) dataset = await loadNanoBeir(opts.dataset.slice(9));
          else throw new MaxsimError("INVALID_OPTION", `Unknown --dataset "${opts.dataset}". Use xquad, beir:<dir> or nanobeir:<name|repo|dir>.`);
          if (maxQueries !== undefined) dataset.queries = dataset.queries.slice(0, maxQueries);
          const result = await evaluateDataset(encoder, dataset, createIndex, { modes, onProgress: progress });
          console.log(`${dataset.name}: ${result.documents} documents, ${result.queries} queries, ${base.model}\n`);
          console.log(
            formatTable(
              ["mode", ...METRIC_NAMES, "p50 ms", "p95 ms"],
              Object.entries(result.modes).map(([mode, r]) => [
                mode,
                ...METRIC_NAMES.map((n) => r.scores[n].toFixed(3)),
                r.latencyMs.p50.toFixed(2),
                r.latencyMs.p95.toFixed(2),
              ]),
            ),
          );
          await writeFile(`${stem}.json`, `${JSON.stringify({ ...base, ...result }, null, 2)}\n`);
          console.log(`\nwrote ${stem}.json`);
        }
      } finally {
        await encoder.dispose();
      }
    });
}

/**
 * XQuAD's folder: `$MAXSIM_SHARED/data/xquad`, else `../shared/data/xquad` from the working
 * directory, else the `shared/` folder beside this repository's checkout (so `pnpm maxsim eval`
 * typed in any of its subdirectories finds it).
 */
function defaultXquadDir(): string {
  if (process.env.MAXSIM_SHARED !== undefined && process.env.MAXSIM_SHARED !== "") return join(process.env.MAXSIM_SHARED, "data", "xquad");
  const fromCwd = resolve("../shared/data/xquad");
  // src/cli/commands (or dist/cli/commands) → packages/core → the checkout → its parent.
  const besideCheckout = fileURLToPath(new URL("../../../../../../shared/data/xquad", import.meta.url));
  return !existsSync(fromCwd) && existsSync(besideCheckout) ? besideCheckout : fromCwd;
}
