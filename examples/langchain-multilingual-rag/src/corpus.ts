// The example's corpus: short passages written for it in six languages, and questions asked in a
// language other than their answer's. The words come from the offline fixture's lexicon
// (packages/core/src/fixtures/lexicon-data.ts) so the fixture model, used when the hub is
// unreachable, retrieves them by meaning as the real multilingual model would.

/** A passage to index. */
export interface Passage {
  id: string;
  lang: "en" | "fr" | "de" | "es" | "zh" | "ar";
  text: string;
}

/** A question and the id of the passage that answers it. */
export interface Question {
  lang: string;
  text: string;
  answer: string;
}

export const PASSAGES: Passage[] = [
  { id: "en-coffee", lang: "en", text: "In the morning my mother drinks coffee with milk." },
  { id: "en-football", lang: "en", text: "The football team plays every week in the big city." },
  { id: "en-bridge", lang: "en", text: "An old stone bridge crosses the river near the village." },
  { id: "en-computer", lang: "en", text: "My sister works at a new company with a fast computer." },
  { id: "en-snow", lang: "en", text: "Snow and cold wind close the mountain road in winter." },
  { id: "en-piano", lang: "en", text: "The child learns the piano and sings songs at school." },

  { id: "fr-cat", lang: "fr", text: "Le chat noir dort sur le lit dans la chambre." },
  { id: "fr-market", lang: "fr", text: "Mon père achète du pain et du fromage au marché." },
  { id: "fr-doctor", lang: "fr", text: "Le médecin de l'hôpital donne un médicament contre la fièvre." },
  { id: "fr-train", lang: "fr", text: "Le train rapide va de la gare à l'aéroport." },
  { id: "fr-sea", lang: "fr", text: "En été les enfants nagent dans la mer près de l'île." },
  { id: "fr-library", lang: "fr", text: "L'étudiant lit un livre de science à la bibliothèque." },

  { id: "de-dog", lang: "de", text: "Der Hund trinkt Wasser im Garten." },
  { id: "de-bicycle", lang: "de", text: "Mein Bruder fährt mit dem Fahrrad zur Schule." },
  { id: "de-rain", lang: "de", text: "Heute regnet es und der Himmel ist voller Wolken." },
  { id: "de-soup", lang: "de", text: "Der Vater kocht Suppe mit Kartoffeln und Tomaten." },
  { id: "de-hotel", lang: "de", text: "Das Hotel in der Stadt ist teuer, aber das Zimmer ist schön." },
  { id: "de-bank", lang: "de", text: "Die Bank ist heute offen und ich brauche Geld." },

  { id: "es-bird", lang: "es", text: "El pájaro canta en el árbol del bosque." },
  { id: "es-rice", lang: "es", text: "En mi familia comemos arroz con pollo y verduras." },
  { id: "es-guitar", lang: "es", text: "Mi amigo canta canciones con la guitarra por la noche." },
  { id: "es-plane", lang: "es", text: "El avión vuela sobre las nubes en el cielo azul." },
  { id: "es-horse", lang: "es", text: "El caballo blanco y la vaca comen en el pueblo." },
  { id: "es-phone", lang: "es", text: "Compré un teléfono nuevo y barato en la tienda." },

  { id: "zh-tea", lang: "zh", text: "我的朋友每天早上喝茶。" },
  { id: "zh-elephant", lang: "zh", text: "大象和狮子住在大森林里。" },
  { id: "zh-moon", lang: "zh", text: "晚上天空中有月亮和星星。" },
  { id: "zh-plane", lang: "zh", text: "我们坐飞机去城市。" },
  { id: "zh-flower", lang: "zh", text: "花园里有很多美丽的花。" },
  { id: "zh-noodles", lang: "zh", text: "妈妈在厨房做面条。" },

  { id: "ar-ball", lang: "ar", text: "الطفل يلعب بالكرة في الشارع" },
  { id: "ar-summer", lang: "ar", text: "الشمس حارة في الصيف" },
  { id: "ar-book", lang: "ar", text: "أختي تقرأ كتاب جديد" },
  { id: "ar-car", lang: "ar", text: "السيارة الحمراء سريعة" },
  { id: "ar-egg", lang: "ar", text: "نأكل البيض والخبز في الصباح" },
  { id: "ar-teacher", lang: "ar", text: "المعلم يساعد الطلاب في الجامعة" },
];

export const QUESTIONS: Question[] = [
  { lang: "es", text: "¿Dónde duerme el gato negro?", answer: "fr-cat" },
  { lang: "de", text: "Wer trinkt Kaffee mit Milch am Morgen?", answer: "en-coffee" },
  { lang: "en", text: "Which bird sings in the forest?", answer: "es-bird" },
  { lang: "fr", text: "Quel chien boit de l'eau dans le jardin ?", answer: "de-dog" },
  { lang: "ar", text: "أين يعيش الفيل والأسد؟", answer: "zh-elephant" },
  { lang: "zh", text: "红色汽车快吗？", answer: "ar-car" },
  { lang: "en", text: "What does the doctor give against a fever?", answer: "fr-doctor" },
  { lang: "es", text: "¿Cuándo está abierto el banco?", answer: "de-bank" },
];
