// The consumer program: what a user's `"type": "module"` app does with the three packages, on a
// fixture model (no hub). Run as installed (node app.mjs) and as an esbuild bundle. Prints one
// line per check, `ok <name>` or `FAIL <name> -- <why>`, and exits non-zero when any failed.
// Each check names the row of the install issue's table it guards.
import { Collection, ColBERT, MaxsimError } from "@maxsim/core";
import { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { MaxSimReranker as LcReranker, MaxSimRetriever as LcRetriever } from "@maxsim/langchain";
import { BaseLLM, Document as LiDocument, RetrieverQueryEngine, Settings } from "llamaindex";
import { MaxSimReranker as LiReranker, MaxSimRetriever as LiRetriever } from "@maxsim/llamaindex";
import { startServer } from "@maxsim/core/serve";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MODEL = "fixture:multilingual";
let failed = 0;
async function check(name, fn) {
  try {
    const why = await fn();
    if (why === true) console.log(`ok ${name}`);
    else {
      failed += 1;
      console.log(`FAIL ${name} -- ${why}`);
    }
  } catch (error) {
    failed += 1;
    const code = MaxsimError.isInstance(error) ? `${error.code}: ` : "";
    console.log(`FAIL ${name} -- ${code}${String(error?.message ?? error).split("\n")[0]}`);
  }
}

await check("row 3 (bundler) + row 8 (fixture ids): core Collection on fixture:multilingual answers and explains", async () => {
  const c = await Collection.create(null, { model: MODEL });
  await c.addDocuments([
    { id: "fr-cat", text: "Le chat noir dort dans la maison." },
    { id: "de-dog", text: "Der Hund trinkt Wasser im Garten." },
  ]);
  const [hit] = await c.query("black cat", { k: 1 });
  const why = await c.explain("black cat", "fr-cat");
  await c.close();
  if (hit?.id !== "fr-cat") return `top hit ${hit?.id}, want fr-cat`;
  const words = why.matches.filter((m) => m.span !== null).map((m) => "Le chat noir dort dans la maison.".slice(m.span[0], m.span[1]));
  return words.includes("chat") && words.includes("noir") ? true : `explain matched ${JSON.stringify(words)}`;
});

await check("two tiers: a disk-tier collection reads its float16 rows (reader thread) and answers as when read on the calling thread", async () => {
  const dir = await mkdtemp(join(tmpdir(), "maxsim-consumer-tier-"));
  try {
    const c = await Collection.create(join(dir, "c"), {
      model: MODEL,
      codec: "residual-2",
      indexOptions: { diskTier: "float16", minTrainTokens: 64, centroids: 8 },
    });
    const words = ["chat", "noir", "Hund", "Wasser", "maison", "jardin", "river", "stone", "gato", "libro", "sol", "luna"];
    await c.addDocuments(
      Array.from({ length: 60 }, (_, i) => ({ id: `d${i}`, text: `${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7 + 3) % 12]} ${i}` })),
    );
    const query = async () => (await c.query("chat noir", { k: 5 })).map((h) => `${h.id}:${h.score.toFixed(5)}`).join(" ");
    const onThread = await query();
    process.env.MAXSIM_TIER_READ_THREAD = "0";
    const here = await query();
    delete process.env.MAXSIM_TIER_READ_THREAD;
    await c.close();
    if (onThread.split(" ").length !== 5) return `got ${onThread}`;
    return onThread === here ? true : `reader thread ${onThread}, calling thread ${here}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

await check("row 8: ColBERT.fromPretrained takes fixture:<name>", async () => {
  const model = await ColBERT.fromPretrained("fixture:lexical");
  const [q] = await model.encodeQueries(["cat"]);
  await model.dispose();
  return q.dim > 0 && model.info.modelId === "fixture:lexical" ? true : `modelId ${model.info.modelId}`;
});

await check("LangChain: MaxSimRetriever in an LCEL chain, and MaxSimReranker", async () => {
  const docs = [
    new Document({ pageContent: "Le chat noir dort dans la maison.", id: "fr-cat" }),
    new Document({ pageContent: "Der Hund trinkt Wasser im Garten.", id: "de-dog" }),
  ];
  const retriever = await LcRetriever.fromDocuments(docs, { model: MODEL, k: 1 });
  const seen = [];
  const chain = RunnableSequence.from([
    {
      context: retriever.pipe((found) => {
        seen.push(...found.map((d) => d.id));
        return found.map((d) => d.pageContent).join("\n");
      }),
      question: new RunnablePassthrough(),
    },
    ChatPromptTemplate.fromTemplate("Context:\n{context}\n\nQuestion: {question}"),
    new FakeListChatModel({ responses: ["The black cat sleeps in the house."] }),
    new StringOutputParser(),
  ]);
  const answer = await chain.invoke("Where does the black cat sleep?");
  await retriever.close();
  const reranker = await LcReranker.fromPretrained(MODEL, { topN: 1 });
  const reranked = await reranker.compressDocuments(docs, "the dog drinks water");
  await reranker.close();
  if (answer !== "The black cat sleeps in the house." || seen[0] !== "fr-cat") return `chain gave ${answer} from ${seen}`;
  return reranked[0]?.id === "de-dog" ? true : `reranker kept ${reranked.map((d) => d.id)}`;
});

await check("LlamaIndex: MaxSimRetriever in a RetrieverQueryEngine", async () => {
  class StandInLLM extends BaseLLM {
    metadata = { model: "stand-in", temperature: 0, topP: 1, contextWindow: 4096, tokenizer: undefined, structuredOutput: false };
    async chat(params) {
      const content = "From the sources above.";
      if (params.stream)
        return (async function* () {
          yield { raw: null, delta: content };
        })();
      return { message: { role: "assistant", content }, raw: null };
    }
  }
  Settings.llm = new StandInLLM();
  const documents = [new LiDocument({ id_: "zh-cat", text: "猫 在 床 上 睡觉" }), new LiDocument({ id_: "fr-train", text: "Le train va à la gare" })];
  const retriever = await LiRetriever.fromDocuments(documents, { model: MODEL, similarityTopK: 1 });
  const response = await new RetrieverQueryEngine(retriever).query({ query: "Where does the cat sleep?" });
  const id = response.sourceNodes?.[0]?.node.sourceNode?.nodeId;
  return response.message.content === "From the sources above." && id === "zh-cat" ? true : `answer ${response.message.content} from ${id}`;
});

await check("maxsim serve: @maxsim/core/serve serves the playground page and answers /search", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "consumer-serve-"));
  try {
    const dir = join(tmp, "idx");
    const c = await Collection.create(dir, { model: MODEL });
    await c.addDocuments([{ id: "de-dog", text: "Der Hund trinkt Wasser im Garten." }]);
    await c.close();
    const server = await startServer({ dir, port: 0, log: () => {} });
    try {
      const page = await (await fetch(`${server.url}/`)).text();
      const res = await fetch(`${server.url}/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "dog", k: 1 }),
      });
      const body = await res.json();
      if (!page.includes('id="results"')) return "the playground page is missing";
      return body.results?.[0]?.id === "de-dog" ? true : `search gave ${JSON.stringify(body)}`;
    } finally {
      await server.close();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

/** The code of the MaxsimError `fn` rejects with ("no error" / "raw …" otherwise). */
async function codeOf(fn) {
  try {
    await fn();
    return "no error";
  } catch (error) {
    return MaxsimError.isInstance(error) ? error.code : `raw ${error?.constructor?.name}: ${error?.message}`;
  }
}

await check("row 6/7: mistakes get typed errors (no model, a string for an array, a closed collection)", async () => {
  const noModel = await codeOf(() => Collection.create(null, {}));
  const c = await Collection.create(null, { model: MODEL });
  const notArray = await codeOf(() => c.addDocuments("Le chat dort."));
  await c.close();
  const closed = await codeOf(() => c.query("cat", { k: 1 }));
  const got = { noModel, notArray, closed };
  return noModel === "INVALID_OPTION" && notArray === "INVALID_INPUT" && closed === "INDEX_CLOSED" ? true : JSON.stringify(got);
});

await check("row 6: wrapper constructors take { model } lazily or throw INVALID_OPTION", async () => {
  const lc = new LcReranker({ model: MODEL, topN: 1 });
  const docs = [new Document({ pageContent: "Le chat dort.", id: "fr" }), new Document({ pageContent: "Der Hund trinkt Wasser.", id: "de" })];
  const [best] = await lc.compressDocuments(docs, "the dog drinks water");
  await lc.close();
  const li = new LiReranker({ model: MODEL, topN: 1 });
  const [node] = await li.postprocessNodes(
    [
      { node: new LiDocument({ id_: "zh", text: "猫 在 床 上 睡觉" }), score: 0 },
      { node: new LiDocument({ id_: "fr", text: "Le train va à la gare" }), score: 0 },
    ],
    "cat",
  );
  const codes = [];
  for (const make of [() => new LcRetriever({}), () => new LiRetriever({}), () => new LcReranker({}), () => new LiReranker({})])
    codes.push(await codeOf(async () => make()));
  if (best?.id !== "de" || node?.node.id_ !== "zh") return `lazy rerankers kept ${best?.id} / ${node?.node.id_}`;
  return codes.every((c) => c === "INVALID_OPTION") ? true : JSON.stringify(codes);
});

console.log(failed === 0 ? "app: all checks passed" : `app: ${failed} checks failed`);
process.exit(failed === 0 ? 0 : 1);
