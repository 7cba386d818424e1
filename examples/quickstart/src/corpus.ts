/**
 * The demo's built-in corpus: short passages written for maxsim in nine of the model's
 * languages, and questions asked in *other* languages than the passage that answers them.
 * The words come from everyday topics, so the real model and the offline fixture model (whose
 * lexicon covers these words) both have something to match.
 */

/** One passage of the corpus. */
export interface Passage {
  id: string;
  lang: string;
  topic: string;
  text: string;
}

/** One demo question and the passage that answers it. */
export interface Question {
  lang: string;
  text: string;
  answer: string;
}

export const PASSAGES: readonly Passage[] = [
  { id: "en-cat", lang: "en", topic: "pets", text: "The old cat sleeps on the bed in winter and drinks milk in the kitchen." },
  { id: "en-football", lang: "en", topic: "sport", text: "Our football team plays every week, and the students run after the ball until the evening." },
  { id: "en-bank", lang: "en", topic: "money", text: "The bank office opens at ten. Bring your passport and the money you want to change." },
  { id: "fr-train", lang: "fr", topic: "travel", text: "Le train pour l'aéroport part de la gare chaque matin. On achète le billet à la gare." },
  { id: "fr-wine", lang: "fr", topic: "food", text: "Le vin rouge de ce village est bon, mais il est cher." },
  { id: "fr-doctor", lang: "fr", topic: "health", text: "Le médecin de l'hôpital dit que l'enfant a de la fièvre et lui donne un médicament." },
  { id: "de-snow", lang: "de", topic: "weather", text: "Im Winter liegt viel Schnee auf dem Berg, und es ist sehr kalt." },
  { id: "de-library", lang: "de", topic: "study", text: "Die Bibliothek der Universität hat viele Bücher, und die Studenten lesen dort jeden Tag." },
  { id: "de-coffee", lang: "de", topic: "food", text: "Meine Mutter trinkt Kaffee mit Milch und Zucker in der Küche." },
  { id: "es-sea", lang: "es", topic: "holidays", text: "En verano vamos a nadar en el mar cerca de la isla, y el sol es muy caliente." },
  { id: "es-dog", lang: "es", topic: "pets", text: "El perro de mi hermano juega con la pelota en el jardín." },
  { id: "es-piano", lang: "es", topic: "music", text: "Mi hermana toca el piano y canta canciones en la escuela." },
  { id: "pt-computer", lang: "pt", topic: "work", text: "O computador novo da empresa é muito rápido e barato." },
  { id: "pt-garden", lang: "pt", topic: "nature", text: "No jardim há flores vermelhas e amarelas e uma árvore grande." },
  { id: "zh-breakfast", lang: "zh", topic: "food", text: "我每天早上吃米饭和鸡蛋，喝茶。" },
  { id: "zh-plane", lang: "zh", topic: "travel", text: "明天我坐飞机去城市，我的护照在桌子上。" },
  { id: "zh-rain", lang: "zh", topic: "weather", text: "今天下雨，天气很冷，我们在家里看书。" },
  { id: "ar-market", lang: "ar", topic: "food", text: "يشتري أبي الخبز والجبن والفاكهة من السوق كل صباح." },
  { id: "ar-hospital", lang: "ar", topic: "health", text: "الطبيب في المستشفى يساعد الأطفال كل يوم." },
  { id: "ar-car", lang: "ar", topic: "travel", text: "السفر في السيارة إلى المدينة سريع." },
  { id: "ja-hotel", lang: "ja", topic: "travel", text: "駅の近くに新しいホテルがあります。" },
  { id: "ja-guitar", lang: "ja", topic: "music", text: "私は音楽が好きで、夜にギターを弾きます。" },
  { id: "ja-fish", lang: "ja", topic: "food", text: "日本では魚とご飯をよく食べます。" },
  { id: "ko-mountain", lang: "ko", topic: "nature", text: "주말에 친구와 산에 가요. 숲과 강이 아름다운 곳이에요." },
  { id: "ko-school", lang: "ko", topic: "study", text: "선생님은 학교에서 학생에게 과학을 가르쳐요." },
];

export const QUESTIONS: readonly Question[] = [
  { lang: "de", text: "Wann fährt der Zug zum Flughafen, und wo kauft man die Fahrkarte?", answer: "fr-train" },
  { lang: "ja", text: "冬に猫はベッドで寝ますか、それとも台所で牛乳を飲みますか？", answer: "en-cat" },
  { lang: "ar", text: "أين يسبح الناس في الصيف؟ في البحر؟", answer: "es-sea" },
  { lang: "en", text: "Which medicine does the doctor give a child with a fever?", answer: "fr-doctor" },
  { lang: "es", text: "¿Dónde leen libros los estudiantes de la universidad?", answer: "de-library" },
  { lang: "pt", text: "Quem compra pão e queijo no mercado?", answer: "ar-market" },
  { lang: "fr", text: "Demain je prends l'avion pour la ville : mon passeport est-il sur la table ?", answer: "zh-plane" },
];
