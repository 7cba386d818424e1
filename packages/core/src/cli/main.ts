#!/usr/bin/env node
/**
 * The `maxsim` command. Each verb lives in its own module under `cli/commands/` and registers
 * itself on the program; this file only wires them and turns errors into one clear line.
 */
import { Command } from "commander";
import { runCli } from "./run.js";
import { commands } from "./commands/index.js";
import { maxsimVersion } from "../version.js";

// `pnpm maxsim …` (the workspace root's script) runs this file from the root whatever directory
// the user typed it in; pnpm passes that directory as INIT_CWD. Resolve relative paths there.
const initCwd = process.env.INIT_CWD;
if (process.env.npm_lifecycle_event === "maxsim" && initCwd !== undefined && initCwd !== "") process.chdir(initCwd);

const program = new Command("maxsim")
  .description("Late-interaction (ColBERT / MaxSim) retrieval from the command line")
  .version(maxsimVersion(), "-V, --version", "print the @maxsim/core version")
  .option("--debug", "print stack traces on errors");

for (const register of commands) register(program);

await runCli(program, process.argv);
