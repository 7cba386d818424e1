/**
 * The README demo: index a small multilingual corpus once, then ask questions in other
 * languages and print the top passages with MaxSim scores and the matched words highlighted.
 *
 *   pnpm demo                        # LiquidAI/LFM2-ColBERT-350M, or the offline fixture
 *   MAXSIM_MODEL=<id|dir> pnpm demo  # any PyLate ColBERT (hub id or local directory)
 *   pnpm demo --save ./demo-index    # also leave the collection on disk, for `pnpm -s maxsim serve ./demo-index`
 */
import path from "node:path";
import { Collection, highlight } from "@maxsim/core";
import { loadModelOrFixture } from "@maxsim/core/fixtures";
import { PASSAGES, QUESTIONS } from "./corpus.js";

const MODEL = process.env.MAXSIM_MODEL ?? "LiquidAI/LFM2-ColBERT-350M";
const style = process.stdout.isTTY ? "ansi" : "brackets";

// `--save <dir>`: build the collection in <dir> instead of in memory (relative to where the user
// typed the command: pnpm runs the script from the workspace root and passes that directory as INIT_CWD).
const saveAt = process.argv.indexOf("--save");
const saveArg = saveAt >= 0 ? process.argv[saveAt + 1] : undefined;
if (saveAt >= 0 && (saveArg === undefined || saveArg.startsWith("-"))) {
  console.error("pnpm demo: --save needs a directory, e.g. pnpm demo --save ./demo-index");
  process.exit(1);
}
const saveDir = saveArg === undefined ? null : path.resolve(process.env.INIT_CWD ?? process.cwd(), saveArg);

const { encoder, fallback } = await loadModelOrFixture(MODEL, {
  log: (line) => console.log(line),
  onProgress: (message: string) => console.log(`  ${message}`),
});
console.log(`model: ${fallback ? `offline fixture (${encoder.modelId})` : encoder.modelId}`);

// One encoding, to show what late interaction works with: a vector per token.
const [sample] = await encoder.encodeDocuments([PASSAGES[0]!.text]);
console.log(`"${PASSAGES[0]!.text}" → ${sample!.length} token vectors × ${sample!.dim} dims`);

const collection = await Collection.create(saveDir, { model: encoder });
const started = performance.now();
await collection.addDocuments(PASSAGES.map((p) => ({ id: p.id, text: p.text, metadata: { lang: p.lang, topic: p.topic } })));
const languages = new Set(PASSAGES.map((p) => p.lang));
console.log(
  `indexed ${collection.size} passages in ${languages.size} languages (${[...languages].join(", ")}) in ${(performance.now() - started).toFixed(0)} ms\n`,
);

for (const question of QUESTIONS) {
  console.log(`[${question.lang}] ${question.text}`);
  const results = await collection.query(question.text, { k: 3 });
  for (const [rank, hit] of results.entries()) {
    const { matches } = await collection.explain(question.text, hit.id);
    // highlight() marks only the strong matches of real query words by default.
    const marked = highlight(hit.text, matches, { style });
    console.log(`  ${rank + 1}. ${hit.score.toFixed(2).padStart(6)}  ${hit.id.padEnd(13)} ${marked}`);
  }
  console.log();
}

// Metadata filters narrow the search without leaving MaxSim: only Chinese passages here.
const question = QUESTIONS[1]!;
const [zh] = await collection.query(question.text, { k: 1, filter: { lang: "zh" } });
console.log(`filter {lang: "zh"} for "${question.text}" → ${zh?.id ?? "nothing"} (${zh?.score.toFixed(2) ?? "–"})`);

await collection.close();
await encoder.dispose();
if (saveDir !== null) console.log(`\nsaved the collection in ${saveDir}; browse it with: pnpm -s maxsim serve ${saveArg}`);
