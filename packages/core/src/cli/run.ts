import type { Command } from "commander";
import { MaxsimError } from "../errors.js";

/**
 * Runs the program; a failure prints one line (`maxsim: CODE: message`) and exits 1. The stack is
 * shown only with `--debug`, because users of a CLI want the fix, not the trace.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const debug = argv.includes("--debug");
    if (MaxsimError.isInstance(error)) {
      process.stderr.write(`maxsim: ${error.code}: ${error.message}\n`);
    } else {
      process.stderr.write(`maxsim: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
