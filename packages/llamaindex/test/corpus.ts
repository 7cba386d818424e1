// Small test corpora written from the words of the multilingual fixture lexicon (so the fixture
// model, whose translations share a vector, retrieves them sensibly).
import { Document } from "llamaindex";

/** Six short documents in six languages with metadata for the filter tests. */
export function mixedDocuments(): Document[] {
  return [
    new Document({ id_: "d-cat", text: "The cat sleeps on the bed", metadata: { lang: "en", year: 2019, tags: ["animal", "home"], title: "cat nap" } }),
    new Document({
      id_: "d-dog",
      text: "Der Hund trinkt Wasser im Garten",
      metadata: { lang: "de", year: 2021, tags: ["animal", "garden"], title: "thirsty dog", rating: 4 },
    }),
    new Document({ id_: "d-train", text: "Le train va à la gare", metadata: { lang: "fr", year: 2020, tags: ["travel"], title: "train trip", rating: 5 } }),
    new Document({ id_: "d-coffee", text: "El café caliente en la cocina", metadata: { lang: "es", year: 2022, tags: ["food", "home"], title: "hot coffee" } }),
    new Document({ id_: "d-doctor", text: "医生 在 医院 工作", metadata: { lang: "zh", year: 2018, tags: ["health"], title: "hospital work", rating: 3 } }),
    new Document({ id_: "d-rain", text: "المطر في المدينة", metadata: { lang: "ar", year: 2023, tags: ["weather"], title: "city rain" } }),
  ];
}

/** Chinese and Arabic documents for the cross-lingual test. */
export const CROSS_LINGUAL_DOCS = [
  { id: "zh-cat", lang: "zh", text: "猫 在 床 上 睡觉" },
  { id: "zh-train", lang: "zh", text: "火车 去 机场" },
  { id: "zh-doctor", lang: "zh", text: "医生 在 医院 工作" },
  { id: "ar-coffee", lang: "ar", text: "يشرب القهوة في المطبخ" },
  { id: "ar-rain", lang: "ar", text: "المطر و الثلج في المدينة" },
  { id: "ar-dog", lang: "ar", text: "الكلب يأكل اللحم في الحديقة" },
] as const;

/** English and German questions, each with the id of its translation-equivalent document. */
export const CROSS_LINGUAL_QUERIES = [
  { lang: "en", query: "Where does the cat sleep? On the bed.", expected: "zh-cat" },
  { lang: "de", query: "Die Katze schläft im Bett", expected: "zh-cat" },
  { lang: "en", query: "the train goes to the airport", expected: "zh-train" },
  { lang: "de", query: "Der Arzt arbeitet im Krankenhaus", expected: "zh-doctor" },
  { lang: "en", query: "who drinks coffee in the kitchen", expected: "ar-coffee" },
  { lang: "de", query: "Regen und Schnee in der Stadt", expected: "ar-rain" },
  { lang: "en", query: "the dog eats meat in the garden", expected: "ar-dog" },
  { lang: "de", query: "Der Hund isst Fleisch im Garten", expected: "ar-dog" },
] as const;
