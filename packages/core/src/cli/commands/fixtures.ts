/**
 * `maxsim fixtures`: generates the offline fixture models (if needed) and prints their
 * directories as JSON, so an installed app can reach them without this repository. Each is also
 * usable directly as `--model fixture:<name>`.
 */
import type { Command } from "commander";

/** Registers `maxsim fixtures`. */
export function registerFixtures(program: Command): void {
  program
    .command("fixtures")
    .description("generate the offline fixture models and print their directories (usable as --model fixture:<name>)")
    .option("--bench", "also generate the larger bench fixture (~90 MB)")
    .action(async (opts: { bench?: boolean }) => {
      const { ensureFixtures } = await import("../../fixtures/ensure.js");
      const paths = await ensureFixtures(opts.bench === true ? { include: ["bench"] } : {});
      process.stdout.write(`${JSON.stringify(paths, null, 2)}\n`);
    });
}
