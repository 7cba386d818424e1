/**
 * Reranking without an index: encode the query and the candidate texts on the fly and order the
 * candidates by MaxSim (PyLate's `rank.rerank` does the same for its retrieve-then-rerank
 * pipelines). Both wrappers' rerankers call this. A small LRU cache of document encodings, keyed
 * by the encoder's resolved configuration (model, ONNX file, lengths, …) and a hash of the text,
 * saves re-encoding the same passages across calls.
 */
import { createHash } from "node:crypto";
import { MaxsimError, throwIfAborted } from "../errors.js";
import type { Encoder } from "../encoder/types.js";
import { maxsimScore } from "../scoring/maxsim.js";
import type { TokenVectors } from "../types.js";

/** Options for {@link rerank}. */
export interface RerankOptions {
  /**
   * How many results to return (the best `topN`).
   * @defaultValue all texts
   */
  topN?: number;
  /** Aborts between encoding batches with `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Cache document encodings across calls (LRU, per process).
   * @defaultValue `true`
   */
  cache?: boolean;
}

/** One reranked text: its position in the input and its MaxSim score. */
export interface RerankResult {
  index: number;
  score: number;
}

/** Most-recently-used document encodings; a Map keeps insertion order, which is the LRU order. */
const CACHE_LIMIT = 2048;
const cache = new Map<string, TokenVectors>();

/**
 * What an encoder's document vectors depend on: its resolved configuration, not only its model id
 * (the same model loaded with another `documentLength` or as int8 encodes differently).
 */
const scopes = new WeakMap<Encoder, string>();

function cacheScope(encoder: Encoder): string {
  let scope = scopes.get(encoder);
  if (scope === undefined) {
    scope = createHash("sha256").update(JSON.stringify(encoder.info)).digest("base64");
    scopes.set(encoder, scope);
  }
  return scope;
}

function cacheKey(scope: string, text: string): string {
  return createHash("sha256").update(scope).update("\0").update(text).digest("base64");
}

function cacheGet(key: string): TokenVectors | undefined {
  const v = cache.get(key);
  if (v !== undefined) {
    cache.delete(key);
    cache.set(key, v);
  }
  return v;
}

function cachePut(key: string, v: TokenVectors): void {
  cache.set(key, v);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
}

/**
 * Empties the document-encoding cache of {@link rerank} (for tests and memory-tight callers).
 *
 * @example
 * ```ts
 * import { clearRerankCache } from "@maxsim/core";
 * clearRerankCache();
 * ```
 */
export function clearRerankCache(): void {
  cache.clear();
}

/**
 * Orders `texts` by their MaxSim score for `query`, best first (ties keep input order).
 *
 * @param encoder - the ColBERT encoder (any {@link Encoder})
 * @param query - the query text
 * @param texts - candidate passages; an empty list gives `[]`
 * @param options - `topN`, `signal`, `cache`
 * @returns `{ index, score }` per kept text, best first
 * @throws MaxsimError `INVALID_OPTION` for a negative or non-integer `topN`, `ABORTED` when the signal fires
 * @example
 * ```ts
 * import { ColBERT, rerank } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
 * const top = await rerank(encoder, "cat", ["Der Hund bellt.", "Le chat dort."], { topN: 1 });
 * console.log(top.map((r) => r.index)); // [1]
 * await encoder.dispose();
 * ```
 */
export async function rerank(encoder: Encoder, query: string, texts: readonly string[], options: RerankOptions = {}): Promise<RerankResult[]> {
  const topN = options.topN ?? texts.length;
  if (!Number.isInteger(topN) || topN < 0) {
    throw new MaxsimError("INVALID_OPTION", `topN must be a non-negative integer, got ${String(topN)}. Pass e.g. { topN: 5 }.`);
  }
  throwIfAborted(options.signal);
  if (texts.length === 0 || topN === 0) return [];
  const useCache = options.cache ?? true;
  const [q] = await encoder.encodeQueries([query], { signal: options.signal });
  const docs: (TokenVectors | undefined)[] = new Array(texts.length);
  const scope = cacheScope(encoder);
  const keys = texts.map((t) => cacheKey(scope, t));
  const missing: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const hit = useCache ? cacheGet(keys[i]!) : undefined;
    if (hit) docs[i] = hit;
    else missing.push(i);
  }
  if (missing.length > 0) {
    // Encode each distinct missing text once, even when the caller passes duplicates.
    const unique = [...new Set(missing.map((i) => texts[i]!))];
    const encoded = await encoder.encodeDocuments(unique, { signal: options.signal });
    const byText = new Map(unique.map((t, i) => [t, encoded[i]!]));
    for (const i of missing) {
      const e = byText.get(texts[i]!)!;
      const v: TokenVectors = { data: e.data, length: e.length, dim: e.dim };
      docs[i] = v;
      if (useCache) cachePut(keys[i]!, v);
    }
  }
  throwIfAborted(options.signal);
  const results = docs.map((d, index) => ({ index, score: maxsimScore(q!, d!) }));
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  return results.slice(0, topN);
}
