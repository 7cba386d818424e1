// Child-process half of the persistence test: reopen a collection with fromExistingIndex and
// print the results of the queries given as arguments, as JSON.
import { MaxSimRetriever, MAXSIM_SCORE_KEY } from "../../src/index.js";

const [directory, ...queries] = process.argv.slice(2);
const retriever = await MaxSimRetriever.fromExistingIndex(directory!, { k: 3 });
const results = [];
for (const query of queries) {
  const docs = await retriever.invoke(query);
  results.push(docs.map((d) => ({ id: d.id, pageContent: d.pageContent, metadata: d.metadata, score: d.metadata[MAXSIM_SCORE_KEY] })));
}
await retriever.close();
process.stdout.write(JSON.stringify({ size: results.length, results }));
