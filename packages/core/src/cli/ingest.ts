/**
 * The shared body of `maxsim index` and `maxsim add`: stream documents from the inputs, skip ids
 * already committed (which makes a re-run resume where a crash or Ctrl-C stopped it), add the
 * rest in batches (each batch one atomic commit), draw progress, and print a summary.
 */
import type { Command } from "commander";
import type { Collection } from "../collection/collection.js";
import { describeCollection } from "../collection/describe.js";
import { MaxsimError } from "../errors.js";
import { intOption } from "./options.js";
import { createProgress } from "./progress.js";
import type { Encoder } from "../encoder/types.js";
import { readDocuments, resolveInputs, tokenSpans } from "./read-inputs.js";
import type { ChunkOptions, ReadDocument } from "./read-inputs.js";

/** Options shared by `index` and `add`. */
export interface IngestCliOptions {
  jsonl?: boolean;
  chunkTokens?: string;
  overlap?: string;
  batchSize?: string;
  replace?: boolean;
}

/** Adds the input options shared by `index` and `add` to a command. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .option("--jsonl", "inputs are JSON Lines with id, text and metadata (one document per line)")
    .option("--chunk-tokens <n>", "split documents into chunks of n model tokens (ids become id#0, id#1, …)")
    .option("--overlap <m>", "model tokens shared by consecutive chunks", "0")
    .option("--batch-size <n>", "documents per commit (each commit is one segment and one manifest write)", "128");
}

/**
 * Chunking by the model's own tokens ({@link tokenSpans}): a window of `--chunk-tokens` content
 * tokens, to which the encoder adds its special tokens and prefix.
 */
function chunkOptions(opts: IngestCliOptions, encoder: Encoder): { chunk: ChunkOptions | undefined; note: string } {
  const size = intOption("--chunk-tokens", opts.chunkTokens);
  if (size === undefined) return { chunk: undefined, note: "" };
  const overlap = intOption("--overlap", opts.overlap ?? "0", 0)!;
  if (overlap >= size) throw new MaxsimError("INVALID_OPTION", `--overlap (${overlap}) must be smaller than --chunk-tokens (${size}).`);
  const limit = encoder.info.documentLength;
  // Special tokens and the prefix take a few of the model's positions (e.g. [CLS] [D] … [SEP]).
  const note =
    size > limit - 3
      ? ` (warning: the model keeps ${limit} tokens per document, special tokens and prefix included, so longer chunks are truncated; use --chunk-tokens ${Math.max(1, limit - 3)} or less)`
      : "";
  return { chunk: { size, overlap, units: (text) => tokenSpans(encoder, text) }, note };
}

/** Summary numbers of one ingest run. */
export interface IngestSummary {
  added: number;
  skipped: number;
  tokens: number;
  seconds: number;
}

/**
 * Reads `inputs` into `collection`, resuming past committed ids; prints progress to stderr and the
 * summary to stdout. Ctrl-C stops after the current batch with everything before it committed.
 */
export async function ingest(collection: Collection, inputs: readonly string[], opts: IngestCliOptions): Promise<IngestSummary> {
  // One bulk load: centroid training waits for the whole run (see MaxSimIndex.bulk).
  return collection.index.bulk(() => ingestNow(collection, inputs, opts));
}

async function ingestNow(collection: Collection, inputs: readonly string[], opts: IngestCliOptions): Promise<IngestSummary> {
  if (inputs.length === 0) throw new MaxsimError("INVALID_INPUT", "No inputs. Pass files, directories, globs, or - for standard input.");
  const sources = await resolveInputs(inputs, { jsonl: opts.jsonl });
  const { chunk, note } = chunkOptions(opts, collection.encoder);
  if (chunk) process.stderr.write(`chunking: ${chunk.size} model tokens per chunk, overlap ${chunk.overlap}${note}\n`);
  const batchSize = intOption("--batch-size", opts.batchSize ?? "128")!;
  const totalBytes = sources.some((s) => s.path === "-") ? 0 : sources.reduce((a, s) => a + s.bytes, 0);
  const progress = createProgress({ totalBytes });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  const start = Date.now();
  let added = 0;
  let skipped = 0;
  let tokens = 0;
  let bytes = 0;
  let skippedBytes = 0;
  let batch: ReadDocument[] = [];
  const pending = new Set<string>();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const docs = batch;
    batch = [];
    pending.clear();
    const write = opts.replace ? collection.upsertDocuments.bind(collection) : collection.addDocuments.bind(collection);
    await write(docs, {
      signal: controller.signal,
      batchSize: docs.length,
      onBatch: (b) => {
        tokens += b.tokens;
      },
    });
    added += docs.length;
    for (const d of docs) bytes += d.bytes;
    progress.update(bytes, added, skippedBytes);
  };
  try {
    for await (const doc of readDocuments(sources, { jsonl: opts.jsonl, chunk })) {
      if (pending.has(doc.id) || (!opts.replace && collection.has(doc.id))) {
        skipped++;
        bytes += doc.bytes;
        skippedBytes += doc.bytes;
        continue;
      }
      pending.add(doc.id);
      batch.push(doc);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (error) {
    progress.stop();
    if (MaxsimError.isInstance(error) && error.code === "ABORTED") {
      throw new MaxsimError("ABORTED", `Interrupted after ${added} new documents were committed. Run the same command again to resume.`, { cause: error });
    }
    throw error;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  progress.stop();
  return { added, skipped, tokens, seconds: (Date.now() - start) / 1000 };
}

/** One line: `added 120 documents (3 already indexed, skipped) · 5432 tokens · 41.2 bytes/token on disk · 4.2 s (28.6 docs/s)`. */
export async function printSummary(collection: Collection, s: IngestSummary, verb: string): Promise<void> {
  let disk = "";
  if (collection.dir !== null) {
    const d = await describeCollection(collection.dir, { index: collection.index });
    if (d.tokens > 0) disk = ` · ${(d.liveBytes / d.tokens).toFixed(1)} bytes/token on disk`;
    disk += ` · ${d.documents} documents in ${collection.dir}`;
  }
  const rate = s.seconds > 0 ? ` (${(s.added / s.seconds).toFixed(1)} docs/s)` : "";
  const skipped = s.skipped > 0 ? ` (${s.skipped} skipped: already indexed)` : "";
  process.stdout.write(`${verb} ${s.added} documents${skipped} · ${s.tokens} tokens · ${s.seconds.toFixed(1)} s${rate}${disk}\n`);
}
