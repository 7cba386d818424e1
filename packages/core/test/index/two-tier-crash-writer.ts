/**
 * Child process of the two-tier crash test: adds the batches of `two-tier-crash-model.ts` to a
 * two-tier index in a loop (each add one commit with its tier blob; training, retraining and
 * compaction rewrites in between) and prints `<batch>` after each add returns. The parent
 * SIGKILLs it at random moments. Usage: node --import tsx two-tier-crash-writer.ts <dir>
 */
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { TIER_OPTIONS, batchIds, tierCompacts, tierVectors } from "./two-tier-crash-model.js";

const dir = process.argv[2]!;
const index = await MaxSimIndex.open(dir).catch(() => MaxSimIndex.create(dir, TIER_OPTIONS));
// Batches are added in order and ids say their batch, so the next batch is one past the stored ones.
let next = 0;
for (const id of index.ids()) next = Math.max(next, Number(/^b(\d+)-/.exec(id)![1]) + 1);
process.stdout.write(`open ${next}\n`);
for (let b = next; b < 100000; b++) {
  await index.add(batchIds(b).map((id) => ({ id, embeddings: tierVectors(id), payload: { b } })));
  process.stdout.write(`${b}\n`);
  if (tierCompacts(b)) await index.compact();
}
