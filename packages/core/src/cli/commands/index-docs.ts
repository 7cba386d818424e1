/**
 * `maxsim index <dir> --model <id|dir> <inputs…>`: builds (or resumes building) a collection from
 * text files, JSONL or standard input.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { Command } from "commander";
import { Collection } from "../../collection/collection.js";
import { MaxsimError } from "../../errors.js";
import type { IndexCodec } from "../../index/types.js";
import { addInputOptions, ingest, printSummary } from "../ingest.js";
import { modelProgress } from "../progress.js";
import type { IngestCliOptions } from "../ingest.js";

interface IndexCliOptions extends IngestCliOptions {
  model?: string;
  codec?: string;
  diskTier?: boolean;
  compact?: boolean;
}

/** Registers `maxsim index`. */
export function registerIndex(program: Command): void {
  addInputOptions(
    program
      .command("index")
      .description("index .txt/.md files (one document each; id = relative path), JSONL (--jsonl) or - (stdin); re-running resumes")
      .argument("<dir>", "collection directory (created when absent)")
      .argument("[inputs...]", "files, directories, quoted globs, or -")
      .option("-m, --model <id|dir>", "model id or directory (required for a new collection)")
      .option("--codec <codec>", "vector codec for a new collection: float32, float16, residual-2, residual-4")
      .option(
        "--disk-tier",
        "new collection with two tiers: residual codes in memory, float16 rows on disk for exact rescoring (codec residual-2 unless --codec residual-4)",
      )
      .option("--no-compact", "skip the final segment compaction"),
  ).action(async (dir: string, inputs: string[], opts: IndexCliOptions) => {
    // An existing collection is resumed; a missing or empty directory gets a new one.
    const exists = existsSync(dir) && (await readdir(dir)).length > 0;
    let collection: Collection;
    if (exists) {
      try {
        collection = await Collection.open(dir, { model: opts.model, modelOptions: { onProgress: modelProgress } });
      } catch (error) {
        // The generic message suggests `maxsim index <dir>`, which is what the user just ran.
        if (MaxsimError.isInstance(error) && error.code === "INDEX_NOT_FOUND") {
          throw new MaxsimError(
            "INDEX_NOT_FOUND",
            `${dir} is not empty and holds no maxsim collection. Give maxsim index a new or empty directory to create one, or an existing collection's directory to resume it.`,
            { cause: error },
          );
        }
        throw error;
      }
    } else {
      if (opts.model === undefined) throw new MaxsimError("INVALID_OPTION", `${dir} holds no collection yet. Pass --model <id|dir> to create it.`);
      const codec = (opts.codec ?? (opts.diskTier === true ? "residual-2" : undefined)) as IndexCodec | undefined;
      collection = await Collection.create(dir, {
        model: opts.model,
        modelOptions: { onProgress: modelProgress },
        codec,
        ...(opts.diskTier === true ? { indexOptions: { diskTier: "float16" as const } } : {}),
      });
    }
    try {
      if (exists && collection.size > 0) process.stderr.write(`resuming: ${collection.size} documents already in ${dir}\n`);
      // One bulk load: centroids train (or retrain) once at the end, not at every doubling.
      const summary = await collection.index.bulk(async () => {
        const s = await ingest(collection, inputs, opts);
        // Every batch was its own small segment; one rewrite leaves a compact index (and trains
        // centroids when the index has grown past the training threshold).
        if (s.added > 0 && opts.compact !== false) {
          const t = Date.now();
          await collection.index.compact();
          s.seconds += (Date.now() - t) / 1000;
        }
        return s;
      });
      await printSummary(collection, summary, "indexed");
    } finally {
      await collection.close();
    }
  });
}
