/** Hooks `maxsim info <dir>` up to collection directories (the `info` verb itself lives in info.ts). */
import type { Command } from "commander";
import { describeIfCollection } from "../../collection/describe.js";
import { setIndexInfo } from "./info.js";

/** Makes `maxsim info <dir>` describe a collection: model, counts, codec, size on disk, format versions. */
export function registerCollectionInfo(_program: Command): void {
  setIndexInfo(describeIfCollection);
}
