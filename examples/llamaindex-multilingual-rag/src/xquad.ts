/**
 * The optional XQuAD part (Artetxe et al., 2020; CC BY-SA 4.0): real paragraphs, the first one of
 * eight articles, four in Chinese and four in Arabic; an English and a German question about two of
 * them go through a RetrieverQueryEngine.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Encoder } from "@maxsim/core";
import { MaxSimRetriever } from "@maxsim/llamaindex";
import { Document, RetrieverQueryEngine } from "llamaindex";
import type { NodeWithScore } from "llamaindex";

interface SquadFile {
  data: { title?: string; paragraphs: { context: string; qas: { id: string; question: string }[] }[] }[];
}

const ARTICLES = 8;

async function firstParagraphs(dir: string, lang: string): Promise<{ context: string; question: string }[]> {
  const file = JSON.parse(await readFile(join(dir, `xquad.${lang}.json`), "utf8")) as SquadFile;
  return file.data.slice(0, ARTICLES).map((a) => ({ context: a.paragraphs[0]!.context, question: a.paragraphs[0]!.qas[0]!.question }));
}

export async function runXquad(
  dir: string,
  encoder: Encoder,
  options: { fixture: boolean; print: (nodes: NodeWithScore[] | undefined) => void },
): Promise<void> {
  const [zh, ar, en, de] = await Promise.all(["zh", "ar", "en", "de"].map((l) => firstParagraphs(dir, l)));
  const docs = [
    ...zh!
      .slice(0, ARTICLES / 2)
      .map((p, i) => new Document({ id_: `xquad-a${i}-zh`, text: p.context, metadata: { lang: "zh" }, excludedEmbedMetadataKeys: ["lang"] })),
    ...ar!
      .slice(ARTICLES / 2)
      .map((p, i) => new Document({ id_: `xquad-a${i + ARTICLES / 2}-ar`, text: p.context, metadata: { lang: "ar" }, excludedEmbedMetadataKeys: ["lang"] })),
  ];
  console.log(
    `indexed ${docs.length} XQuAD paragraphs (articles 0-3 in zh, 4-7 in ar)${options.fixture ? "; the fixture model only knows a toy lexicon, so expect poor ranks on real text" : ""}`,
  );
  const retriever = await MaxSimRetriever.fromDocuments(docs, { model: encoder, similarityTopK: 2 });
  try {
    const engine = new RetrieverQueryEngine(retriever);
    const asks = [
      { lang: "en", article: 1, question: en![1]!.question },
      { lang: "de", article: 5, question: de![5]!.question },
    ];
    for (const ask of asks) {
      console.log(`Q [${ask.lang}] ${ask.question}   (answer in article ${ask.article})`);
      const response = await engine.query({ query: ask.question });
      options.print(response.sourceNodes);
      const all = await new MaxSimRetriever({ collection: retriever.collection, similarityTopK: docs.length }).retrieve({ query: ask.question });
      const rank = all.findIndex((n) => n.node.sourceNode?.nodeId?.startsWith(`xquad-a${ask.article}-`)) + 1;
      console.log(`A: ${(response.message.content as string).slice(0, 200)}`);
      console.log(`right paragraph at rank ${rank} of ${docs.length}`);
    }
  } finally {
    await retriever.close();
  }
}
