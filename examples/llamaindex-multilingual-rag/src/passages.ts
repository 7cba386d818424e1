/**
 * The example's own corpus: short passages in Chinese, Arabic, Spanish and French, and questions
 * in English, German and Japanese. They use everyday words (from the multilingual fixture lexicon
 * of `@maxsim/core/fixtures`), so the offline fixture model retrieves them sensibly too.
 */
import { Document } from "llamaindex";

export interface Passage {
  id: string;
  lang: string;
  text: string;
}

export const PASSAGES: Passage[] = [
  { id: "zh-cat", lang: "zh", text: "猫 在 床 上 睡觉。" },
  { id: "zh-train", lang: "zh", text: "火车 去 机场。" },
  { id: "zh-doctor", lang: "zh", text: "医生 在 医院 工作。" },
  { id: "ar-coffee", lang: "ar", text: "يشرب القهوة في المطبخ." },
  { id: "ar-rain", lang: "ar", text: "المطر و الثلج في المدينة." },
  { id: "es-dog", lang: "es", text: "El perro come carne en el jardín." },
  { id: "fr-library", lang: "fr", text: "L'étudiant lit un livre à la bibliothèque." },
  { id: "fr-bread", lang: "fr", text: "Le boulanger vend du pain au marché." },
];

/** One question per engine turn: language tag, text, and the passage it should find first. */
export const QUESTIONS = [
  { lang: "en", text: "Where does the cat sleep?", expected: "zh-cat" },
  { lang: "de", text: "Wo arbeitet der Arzt?", expected: "zh-doctor" },
  { lang: "ja", text: "犬 は 肉 を 食べる", expected: "es-dog" },
] as const;

export const CHAT_TURNS = [
  { lang: "en", text: "Who drinks coffee in the kitchen?", expected: "ar-coffee" },
  { lang: "de", text: "Und wo liest der Student ein Buch?", expected: "fr-library" },
] as const;

/** The passages as LlamaIndex documents; `lang` is metadata the LLM sees but the encoder does not. */
export function passageDocuments(): Document[] {
  return PASSAGES.map((p) => new Document({ id_: p.id, text: p.text, metadata: { lang: p.lang }, excludedEmbedMetadataKeys: ["lang"] }));
}
