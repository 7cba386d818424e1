/**
 * `lanceEngine(options)`: the {@link CollectionEngine} that both wrappers' builders take, so
 * `MaxSimRetriever.fromDocuments(docs, { model, directory: uri, engine: lanceEngine() })` and
 * `fromExistingIndex(uri, { engine: lanceEngine() })` store and search a LanceDB table.
 */
import type { CollectionEngine, CollectionOptions, OpenCollectionOptions } from "@maxsim/core";
import { LanceCollection } from "./lance-collection.js";
import type { LanceConnectOptions, LanceCollectionOptions } from "./lance-collection.js";

/** Options every collection of a {@link lanceEngine} gets. */
export interface LanceEngineOptions extends LanceConnectOptions {
  /** Vector storage of created collections. @defaultValue `"float32"` */
  vectorType?: LanceCollectionOptions["vectorType"];
}

/**
 * A storage engine whose collections are LanceDB tables (locations are LanceDB URIs).
 *
 * @param options - `tableName`, `storageOptions` (credentials, region), `readConsistencyInterval`, `vectorType`
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Document } from "@langchain/core/documents";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * import { MaxSimRetriever } from "@maxsim/langchain";
 * import { lanceEngine } from "@maxsim/lancedb";
 * const uri = join(await mkdtemp(join(tmpdir(), "maxsim-")), "lance"); // or "s3://bucket/docs"
 * const engine = lanceEngine({ tableName: "docs" });
 * const built = await MaxSimRetriever.fromDocuments(
 *   [new Document({ pageContent: "Le chat dort.", id: "fr" }), new Document({ pageContent: "Der Hund bellt.", id: "de" })],
 *   { model: (await ensureFixtures()).multilingual, directory: uri, engine },
 * );
 * await built.close();
 * const retriever = await MaxSimRetriever.fromExistingIndex(uri, { engine, k: 1 });
 * console.log((await retriever.invoke("the dog barks"))[0].id); // de
 * await retriever.close();
 * ```
 */
export function lanceEngine(options: LanceEngineOptions = {}): CollectionEngine<LanceCollection> {
  return {
    create: (location: string | null, o: CollectionOptions) => LanceCollection.create(location, { ...options, ...o }),
    open: (location: string, o: OpenCollectionOptions = {}) => LanceCollection.open(location, { ...options, ...o }),
  };
}
