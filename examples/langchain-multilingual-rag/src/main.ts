/**
 * Multilingual RAG with LangChain.js and maxsim.
 *
 * Indexes passages in English, French, German, Spanish, Chinese and Arabic with `MaxSimRetriever`,
 * asks questions in other languages, prints the retrieved passages with their MaxSim scores and an
 * answer. The answer comes from an OpenAI-compatible endpoint (`@langchain/openai`) when
 * `OPENAI_API_KEY` is set (`OPENAI_BASE_URL` and `OPENAI_MODEL` optional), else from an
 * extractive fallback that quotes the best passage, so the example runs offline.
 *
 * The model is `LiquidAI/LFM2-ColBERT-350M` (or `MAXSIM_MODEL`); when the hub cannot be reached
 * the example says so in one line and uses the offline multilingual fixture model.
 *
 *     pnpm --filter @maxsim/example-langchain-multilingual-rag start
 */
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough, RunnableSequence, type Runnable } from "@langchain/core/runnables";
import { loadModelOrFixture } from "@maxsim/core/fixtures";
import { MAXSIM_SCORE_KEY, MaxSimRetriever } from "@maxsim/langchain";
import { PASSAGES, QUESTIONS } from "./corpus.js";

const MODEL = process.env.MAXSIM_MODEL ?? "LiquidAI/LFM2-ColBERT-350M";

/** What the answer step receives: the retrieved documents and the question. */
interface AnswerInput {
  docs: DocumentInterface[];
  question: string;
}

/** An LLM answer over the retrieved context when an OpenAI-compatible endpoint is configured, else an extractive one. */
async function answerer(): Promise<{ label: string; runnable: Runnable<AnswerInput, string> }> {
  const apiKey = process.env.OPENAI_API_KEY;
  if (apiKey === undefined || apiKey === "") {
    return {
      label: "extractive (set OPENAI_API_KEY for an LLM answer)",
      runnable: RunnableLambda.from(({ docs }: AnswerInput) => (docs[0] === undefined ? "No passage found." : `"${docs[0].pageContent}" [${docs[0].id}]`)),
    };
  }
  // Loaded only when used, so the offline path needs neither the package nor the network.
  const { ChatOpenAI } = await import("@langchain/openai");
  const model = process.env.OPENAI_MODEL ?? "gpt-4o-mini";
  const llm = new ChatOpenAI({ model, apiKey, temperature: 0, configuration: { baseURL: process.env.OPENAI_BASE_URL } });
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer in the language of the question, in one sentence, using only these passages:\n{context}"],
    ["human", "{question}"],
  ]);
  const format = ({ docs }: AnswerInput) => docs.map((d) => `[${d.id}] ${d.pageContent}`).join("\n");
  return {
    label: `${model} via ${process.env.OPENAI_BASE_URL ?? "OpenAI"}`,
    runnable: RunnableSequence.from([{ context: format, question: (i: AnswerInput) => i.question }, prompt, llm, new StringOutputParser()]),
  };
}

// The real model, or (hub unreachable) the offline fixture model with one line saying so.
const { encoder } = await loadModelOrFixture(MODEL, { log: (line) => console.log(line) });
const retriever = await MaxSimRetriever.fromDocuments(
  PASSAGES.map(({ id, lang, text }) => new Document({ id, pageContent: text, metadata: { lang } })),
  { model: encoder, k: 3 },
);
const { label, runnable: answer } = await answerer();

// The RAG chain: retrieve, then answer from the retrieved passages.
const chain = RunnableSequence.from([{ docs: retriever, question: new RunnablePassthrough<string>() }, RunnablePassthrough.assign({ answer })]);

console.log(`Indexed ${PASSAGES.length} passages (${[...new Set(PASSAGES.map((p) => p.lang))].join(", ")}) with ${encoder.modelId}. Answers: ${label}.`);
for (const question of QUESTIONS) {
  const { docs, answer: text } = (await chain.invoke(question.text)) as AnswerInput & { answer: string };
  console.log(`\nQ [${question.lang}] ${question.text}`);
  docs.forEach((doc, i) => {
    const score = (doc.metadata[MAXSIM_SCORE_KEY] as number).toFixed(3);
    console.log(`  ${i + 1}. ${doc.id} [${String(doc.metadata.lang)}] score=${score}  ${doc.pageContent}`);
  });
  console.log(`  A: ${text}`);
}

await retriever.close();
await encoder.dispose();
