/**
 * Renders the matched spans of an {@link Explanation} inside the document text, for the CLI and
 * demos: overlapping or touching spans are merged, then wrapped in markers.
 */
import { isTextToken } from "./spans.js";
import type { Span } from "./spans.js";
import type { Explanation } from "./types.js";

/** A match as {@link highlight} reads it: only the span (and optionally a score) matters. */
export interface HighlightMatch {
  span: Span | null;
  score?: number;
  /** The matching query token (as in `TokenMatch`); by default prefixes, specials and expansion tokens are not marked. */
  queryToken?: string;
}

/** Options for {@link highlight}. */
export interface HighlightOptions {
  /**
   * `"brackets"` wraps spans in `«…»`, `"ansi"` in bold (ESC[1m … ESC[22m).
   * @defaultValue `"brackets"`
   */
  style?: "brackets" | "ansi";
  /**
   * Only spans whose match score is at least this are marked (matches without a score always are).
   * By default only strong matches are: a score of at least {@link STRONG_MATCH_SCORE} and at
   * least {@link STRONG_MATCH_SHARE} of the best match's, never a single character cut out of a
   * longer word (a sub-word piece such as the `i` of `lui`), and never a match of a query token
   * that is not text (`[Q]`, `[MASK]` expansions). Pass `-Infinity` to mark every match.
   * @defaultValue strong matches only (see above)
   */
  minScore?: number;
}

/** Default floor of a highlighted match's similarity (unit token vectors: 1 = identical). */
export const STRONG_MATCH_SCORE = 0.5;
/** Default share of the best match's score a highlighted match needs. */
export const STRONG_MATCH_SHARE = 0.75;

const LETTER = /[\p{L}\p{N}]/u;
/**
 * Scripts written without spaces between words, where one character is routinely a whole word
 * (飞机 is two one-character tokens, both meaningful): a lone character there is no fragment.
 */
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * Sorted, merged spans; spans that touch are joined so one word's sub-tokens read as one.
 *
 * @example
 * ```ts
 * import { mergeSpans } from "@maxsim/core";
 * console.log(mergeSpans([[10, 12], [8, 10], [0, 2]])); // [[0, 2], [8, 12]]
 * ```
 */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Span[] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * Wraps the matched spans of `text` in markers.
 *
 * @param text - the document text
 * @param matches - matches with character spans (e.g. `explanation.matches`); `null` spans are ignored
 * @param options - marker style and score threshold
 * @example
 * ```ts
 * import { highlight } from "@maxsim/core";
 * console.log(highlight("Le chat dort.", [{ span: [3, 7] }])); // Le «chat» dort.
 * console.log(JSON.stringify(highlight("Le chat dort.", [{ span: [3, 7] }], { style: "ansi" }))); // "Le \u001b[1mchat\u001b[22m dort."
 * // By default only strong matches: not the weak "et", not the "i" piece of "lui".
 * const matches = [{ span: [0, 5], score: 0.9 }, { span: [6, 8], score: 0.4 }, { span: [11, 12], score: 0.8 }] as const;
 * console.log(highlight("chien et lui", matches.map((m) => ({ span: [...m.span] as [number, number], score: m.score })))); // «chien» et lui
 * ```
 */
export function highlight(text: string, matches: readonly HighlightMatch[], options: HighlightOptions = {}): string {
  const [open, close] = (options.style ?? "brackets") === "ansi" ? ["\x1b[1m", "\x1b[22m"] : ["«", "»"];
  const strongOnly = options.minScore === undefined;
  let best = -Infinity;
  const counts = (m: HighlightMatch): boolean => m.span !== null && (!strongOnly || m.queryToken === undefined || isTextToken(m.queryToken));
  for (const m of matches) if (counts(m) && m.score !== undefined) best = Math.max(best, m.score);
  const min = options.minScore ?? Math.max(STRONG_MATCH_SCORE, STRONG_MATCH_SHARE * best);
  const spans: Span[] = [];
  for (const m of matches) {
    if (m.span === null || !counts(m)) continue;
    if (m.score !== undefined && m.score < min) continue;
    if (strongOnly && isWordFragment(text, m.span)) continue;
    const s = Math.max(0, Math.min(text.length, m.span[0]));
    const e = Math.max(s, Math.min(text.length, m.span[1]));
    spans.push([s, e]);
  }
  let out = "";
  let at = 0;
  for (const [s, e] of mergeSpans(spans)) {
    out += text.slice(at, s) + open + text.slice(s, e) + close;
    at = e;
  }
  return out + text.slice(at);
}

/** A one-character span with letters right before or after it: a piece cut out of a longer word (never in an unspaced script). */
function isWordFragment(text: string, [s, e]: Span): boolean {
  const piece = text.slice(s, e);
  if ([...piece].length !== 1 || UNSPACED_SCRIPT.test(piece)) return false;
  return LETTER.test(text.slice(Math.max(0, s - 1), s)) || LETTER.test(text.slice(e, e + 1));
}

/**
 * The spans worth highlighting: matches of real query words (not prefixes, specials or expansion
 * tokens) to locatable document words with a similarity of at least `minScore` (token vectors
 * are unit length, so 1 is a perfect match and unrelated words score near 0).
 */
export function highlightSpans(e: Explanation, minScore = 0.5): Span[] {
  const spans: Span[] = [];
  for (const m of e.matches) if (m.span !== null && m.score >= minScore && isTextToken(m.queryToken) && isTextToken(m.docToken)) spans.push(m.span);
  return mergeSpans(spans);
}
