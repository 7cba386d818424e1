/** The shape every evaluation loader returns. */
import type { Qrels } from "./metrics.js";

/** One corpus document. */
export interface EvalDocument {
  id: string;
  text: string;
  title?: string;
}

/** One query. */
export interface EvalQuery {
  id: string;
  text: string;
}

/** A retrieval test collection: corpus, queries and graded judgements. */
export interface RetrievalDataset {
  /** A readable name, e.g. `xquad[q=en,d=de]` or a BEIR folder name. */
  name: string;
  corpus: EvalDocument[];
  queries: EvalQuery[];
  qrels: Qrels;
}
