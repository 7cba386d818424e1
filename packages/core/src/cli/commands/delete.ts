/** `maxsim delete <dir> <ids…>`: deletes documents by id. */
import type { Command } from "commander";
import { Collection } from "../../collection/collection.js";

/** Registers `maxsim delete`. */
export function registerDelete(program: Command): void {
  program
    .command("delete")
    .description("delete documents by id")
    .argument("<dir>", "a collection directory")
    .argument("<ids...>", "document ids")
    .action(async (dir: string, ids: string[]) => {
      const collection = await Collection.open(dir);
      try {
        const n = await collection.deleteDocuments(ids);
        process.stdout.write(`deleted ${n} of ${ids.length} ids · ${collection.size} documents left\n`);
      } finally {
        await collection.close();
      }
    });
}
