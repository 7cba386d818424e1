/**
 * Multilingual RAG with LlamaIndex.TS and maxsim: passages in Chinese, Arabic, Spanish and French
 * are indexed with a late-interaction (ColBERT) model; questions in English, German and Japanese go
 * through a `RetrieverQueryEngine` and a `ContextChatEngine` whose retriever is `MaxSimRetriever`.
 *
 *   pnpm --filter @maxsim/example-llamaindex-multilingual-rag start
 *
 * Environment:
 *   MAXSIM_MODEL     ColBERT model id or directory (default LiquidAI/LFM2-ColBERT-350M); when the
 *                    hub is unreachable the offline fixture model is used, with a one-line notice.
 *   MAXSIM_OFFLINE   set to 1 to never contact the hub (cached models only), as the example's test does.
 *   OPENAI_API_KEY   answer with an OpenAI-compatible endpoint (`@llamaindex/openai`); without it an
 *                    extractive fallback quotes the best source, so everything runs offline.
 *   OPENAI_BASE_URL  endpoint of an OpenAI-compatible server (default: api.openai.com).
 *   OPENAI_MODEL     chat model name (default gpt-4o-mini).
 *   MAXSIM_SHARED    folder holding data/xquad (default ../shared next to the repository); the
 *                    XQuAD part is skipped with one line when it is absent.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModelOrFixture } from "@maxsim/core/fixtures";
import { MaxSimRetriever } from "@maxsim/llamaindex";
import { ContextChatEngine, MetadataMode, RetrieverQueryEngine, Settings } from "llamaindex";
import type { LLM, NodeWithScore } from "llamaindex";
import { ExtractiveLLM } from "./extractive-llm.js";
import { CHAT_TURNS, PASSAGES, QUESTIONS, passageDocuments } from "./passages.js";
import { runXquad } from "./xquad.js";

const DEFAULT_MODEL = "LiquidAI/LFM2-ColBERT-350M";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

async function loadLlm(): Promise<{ llm: LLM; name: string }> {
  const apiKey = process.env.OPENAI_API_KEY;
  if (apiKey) {
    const { OpenAI } = await import("@llamaindex/openai");
    const model = process.env.OPENAI_MODEL ?? "gpt-4o-mini";
    const baseURL = process.env.OPENAI_BASE_URL;
    return { llm: new OpenAI({ apiKey, model, ...(baseURL ? { baseURL } : {}) }), name: `${model} via ${baseURL ?? "api.openai.com"}` };
  }
  return { llm: new ExtractiveLLM(), name: "extractive fallback (set OPENAI_API_KEY for an OpenAI-compatible endpoint)" };
}

function printSources(nodes: NodeWithScore[] | undefined): void {
  (nodes ?? []).forEach((n, i) => {
    const lang = String(n.node.metadata["lang"] ?? "?");
    const text = n.node.getContent(MetadataMode.NONE).replace(/\s+/g, " ");
    const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
    console.log(`  ${i + 1}. [${lang}] ${(n.score ?? 0).toFixed(3).padStart(8)}  ${n.node.sourceNode?.nodeId ?? n.node.id_}  ${shown}`);
  });
}

async function main(): Promise<void> {
  const modelId = process.env.MAXSIM_MODEL ?? DEFAULT_MODEL;
  console.log("maxsim + LlamaIndex.TS: multilingual RAG");
  // The real model, or (hub unreachable, model unusable here) the fixture with one printed line.
  const { encoder, fallback: fixture } = await loadModelOrFixture(modelId, {
    localFilesOnly: process.env.MAXSIM_OFFLINE === "1",
    log: (line) => console.log(line),
  });
  console.log(`model: ${fixture ? "multilingual fixture (offline)" : modelId}`);
  const { llm, name } = await loadLlm();
  Settings.llm = llm;
  console.log(`llm: ${name}`);

  const retriever = await MaxSimRetriever.fromDocuments(passageDocuments(), { model: encoder, similarityTopK: 3 });
  const langs = [...new Set(PASSAGES.map((p) => p.lang))].join(", ");
  console.log(`indexed ${PASSAGES.length} passages in ${langs} (${retriever.collection.size} nodes)`);

  try {
    console.log("\n== RetrieverQueryEngine");
    const engine = new RetrieverQueryEngine(retriever);
    for (const q of QUESTIONS) {
      console.log(`Q [${q.lang}] ${q.text}`);
      const response = await engine.query({ query: q.text });
      printSources(response.sourceNodes);
      console.log(`A: ${response.message.content as string}`);
    }

    console.log("\n== ContextChatEngine");
    const chat = new ContextChatEngine({ retriever, chatModel: llm });
    for (const turn of CHAT_TURNS) {
      console.log(`you [${turn.lang}]: ${turn.text}`);
      const response = await chat.chat({ message: turn.text });
      printSources(response.sourceNodes);
      console.log(`assistant: ${response.message.content as string}`);
    }

    const shared = process.env.MAXSIM_SHARED ? resolve(process.env.MAXSIM_SHARED) : resolve(repoRoot, "../shared");
    const xquadDir = join(shared, "data", "xquad");
    console.log("\n== XQuAD");
    if (!existsSync(join(xquadDir, "xquad.zh.json"))) {
      console.log(`skipped XQuAD part: ${xquadDir} not found (set MAXSIM_SHARED to the folder holding data/xquad)`);
    } else {
      await runXquad(xquadDir, encoder, { fixture, print: printSources });
    }
  } finally {
    await retriever.close();
    await encoder.dispose();
  }
}

await main();
