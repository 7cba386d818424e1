/** `maxsim add <dir> <inputs…>`: adds documents to an existing collection. */
import type { Command } from "commander";
import { Collection } from "../../collection/collection.js";
import { addInputOptions, ingest, printSummary } from "../ingest.js";
import { modelProgress } from "../progress.js";
import type { IngestCliOptions } from "../ingest.js";

/** Registers `maxsim add`. */
export function registerAdd(program: Command): void {
  addInputOptions(
    program
      .command("add")
      .description("add documents (same inputs as `index`) to an existing collection; existing ids are skipped unless --replace")
      .argument("<dir>", "an existing collection directory")
      .argument("<inputs...>", "files, directories, quoted globs, or -")
      .option("--replace", "replace documents whose id already exists"),
  ).action(async (dir: string, inputs: string[], opts: IngestCliOptions) => {
    const collection = await Collection.open(dir, { modelOptions: { onProgress: modelProgress } });
    try {
      const summary = await ingest(collection, inputs, opts);
      await printSummary(collection, summary, opts.replace ? "added or replaced" : "added");
    } finally {
      await collection.close();
    }
  });
}
