// Shared test corpus: short passages written with words of the multilingual fixture lexicon
// (packages/core/src/fixtures/lexicon-data.ts), so the fixture model, which maps translations of
// one concept to one vector, retrieves them by meaning across languages.
import { Document } from "@langchain/core/documents";

/** French and German documents, each a translation-equivalent of exactly one query below. */
export const FR_DE_DOCS: Document[] = [
  new Document({ id: "fr-cat", pageContent: "Le chat noir dort dans la maison.", metadata: { lang: "fr", topic: "animals" } }),
  new Document({ id: "fr-market", pageContent: "Mon père achète du pain au marché.", metadata: { lang: "fr", topic: "food" } }),
  new Document({ id: "fr-winter", pageContent: "La neige tombe en hiver sur la montagne.", metadata: { lang: "fr", topic: "weather" } }),
  new Document({ id: "de-dog", pageContent: "Der Hund trinkt Wasser im Garten.", metadata: { lang: "de", topic: "animals" } }),
  new Document({ id: "de-library", pageContent: "Die Lehrerin liest ein Buch in der Bibliothek.", metadata: { lang: "de", topic: "school" } }),
  new Document({ id: "de-train", pageContent: "Der Zug fährt schnell zum Flughafen.", metadata: { lang: "de", topic: "travel" } }),
];

/** Queries in English and Spanish with the id of their translation-equivalent document. */
export const CROSS_LINGUAL_QUERIES: { query: string; lang: "en" | "es"; expected: string }[] = [
  { query: "the black cat sleeps in the house", lang: "en", expected: "fr-cat" },
  { query: "the teacher reads a book in the library", lang: "en", expected: "de-library" },
  { query: "the fast train to the airport", lang: "en", expected: "de-train" },
  { query: "el perro bebe agua en el jardín", lang: "es", expected: "de-dog" },
  { query: "mi padre compra pan en el mercado", lang: "es", expected: "fr-market" },
  { query: "la nieve en invierno en la montaña", lang: "es", expected: "fr-winter" },
];
