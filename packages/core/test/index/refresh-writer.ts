/**
 * Child process of the refresh test: opens the index in <dir> as its writer, adds documents
 * `<prefix>0..<prefix>(n-1)` (one commit each, vector = unit axis `axis`), deletes the ids given
 * after `--delete`, prints `done <generation count>` and exits.
 * Usage: node --import tsx refresh-writer.ts <dir> <prefix> <n> <axis> [--delete id...]
 */
import { MaxSimIndex } from "../../src/index/maxsim-index.js";

const [dir, prefix, n, axis, ...rest] = process.argv.slice(2) as [string, string, string, string, ...string[]];
const index = await MaxSimIndex.open(dir);
const unit = new Float32Array(index.dim);
unit[Number(axis)] = 1;
for (let i = 0; i < Number(n); i++) await index.add([{ id: `${prefix}${i}`, embeddings: { data: unit, length: 1, dim: index.dim }, payload: { i } }]);
const del = rest[0] === "--delete" ? rest.slice(1) : [];
if (del.length > 0) await index.delete(del);
await index.close();
process.stdout.write(`done ${index.size}\n`);
