// Child process of the persistence test: builds a MaxSimRetriever in a directory, prints the
// results of one query as JSON, and exits (closing the collection).
import { Document, MetadataMode } from "llamaindex";
import { MaxSimRetriever } from "../src/index.js";

const [dir, model, query] = process.argv.slice(2);
if (!dir || !model || !query) throw new Error("usage: build-index.ts <dir> <model> <query>");
const retriever = await MaxSimRetriever.fromDocuments(
  [
    new Document({ id_: "p-cat", text: "Le chat dort sur le lit", metadata: { lang: "fr" } }),
    new Document({ id_: "p-dog", text: "El perro come carne", metadata: { lang: "es" } }),
    new Document({ id_: "p-tea", text: "お茶 を 飲む", metadata: { lang: "ja" } }),
  ],
  { model, directory: dir, similarityTopK: 3, metadataMode: MetadataMode.NONE },
);
const results = await retriever.retrieve({ query });
console.log(JSON.stringify(results.map((r) => ({ id: r.node.id_, ref: r.node.sourceNode?.nodeId, score: r.score, metadata: r.node.metadata }))));
await retriever.collection.close();
