/**
 * Child process of the multi-process tests (real fixture model, real LanceDB table):
 *   writer <uri> <prefix> <count> [add|upsert]  — writes one document per commit, printing `ack <id>`
 *     after each call returns (`error <code>` and exit 0 when a call fails with a typed error);
 *   reader <uri>  — opens read-only once, then answers stdin lines: `query <text>` → `hits <ids json>`,
 *     `refresh` → `refreshed <bool> <size>`, `size` → `size <n>`.
 * Usage: node --conditions=@maxsim/source --import tsx lance-child.ts <mode> ...
 */
import { createInterface } from "node:readline";
import { MaxsimError } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { LanceCollection } from "../src/index.js";

const TEXTS = [
  "Le chat noir dort dans la maison.",
  "Der Hund trinkt Wasser im Garten.",
  "Der Zug fährt schnell zum Flughafen.",
  "Mon père achète du pain au marché.",
];
const [mode, uri, prefix, count, how] = process.argv.slice(2) as [string, string, string?, string?, string?];
const model = (await ensureFixtures()).multilingual;

if (mode === "writer") {
  const c = await LanceCollection.open(uri, { model });
  console.log("open");
  for (let i = 0; i < Number(count); i++) {
    const id = `${prefix}-${i}`;
    const doc = { id, text: TEXTS[i % TEXTS.length]!, metadata: { writer: prefix, i } };
    try {
      if (how === "upsert") await c.upsertDocuments([doc]);
      else await c.addDocuments([doc]);
      console.log(`ack ${id}`);
    } catch (error) {
      if (!MaxsimError.isInstance(error)) throw error;
      console.log(`error ${error.code} ${id}`);
    }
  }
  await c.close();
  console.log("done");
} else if (mode === "reader") {
  const c = await LanceCollection.open(uri, { model, readOnly: true });
  console.log(`open ${c.size}`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.startsWith("query ")) console.log(`hits ${JSON.stringify((await c.query(line.slice(6), { k: 10 })).map((h) => h.id))}`);
    else if (line === "refresh") {
      const changed = await c.refresh();
      console.log(`refreshed ${changed} ${c.size}`);
    } else if (line === "size") console.log(`size ${c.size}`);
  }
  await c.close();
}
