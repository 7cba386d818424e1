import type { Command } from "commander";
import { registerEncode } from "./encode.js";
import { registerInfo } from "./info.js";
import { registerIndex } from "./index-docs.js";
import { registerSearch } from "./search.js";
import { registerAdd } from "./add.js";
import { registerDelete } from "./delete.js";
import { registerCollectionInfo } from "./collection-info.js";
import { registerEval } from "./eval.js";
import { registerFixtures } from "./fixtures.js";
import { registerServe } from "./serve.js";

/** A CLI verb: adds its subcommand to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every verb, in the order `maxsim --help` lists them. Add one line per new verb module. */
export const commands: RegisterCommand[] = [
  registerEncode,
  registerInfo,
  registerIndex,
  registerSearch,
  registerAdd,
  registerDelete,
  registerCollectionInfo,
  registerEval,
  registerServe,
  registerFixtures,
];
