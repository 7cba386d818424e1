/** `maxsim delete <dir> <ids…>`: deletes documents by id. */
import type { Command } from "commander";
import { META_KEY } from "../../collection/collection.js";
import { MaxsimError } from "../../errors.js";
import { MaxSimIndex } from "../../index/maxsim-index.js";

/** Registers `maxsim delete`. */
export function registerDelete(program: Command): void {
  program
    .command("delete")
    .description("delete documents by id")
    .argument("<dir>", "a collection directory")
    .argument("<ids...>", "document ids")
    .action(async (dir: string, ids: string[]) => {
      // Deleting needs no encoder: open the index directly instead of loading the model.
      const index = await MaxSimIndex.open(dir);
      try {
        if (index.meta[META_KEY] === undefined) {
          throw new MaxsimError(
            "INVALID_OPTION",
            `${dir} is a MaxSim index but not a collection (no model in its manifest). Delete with MaxSimIndex.delete instead.`,
          );
        }
        const n = await index.delete(ids);
        process.stdout.write(`deleted ${n} of ${ids.length} ids · ${index.size} documents left\n`);
      } finally {
        await index.close();
      }
    });
}
