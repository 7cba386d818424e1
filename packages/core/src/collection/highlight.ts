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
   * @defaultValue `-Infinity`
   */
  minScore?: number;
}

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
 * ```
 */
export function highlight(text: string, matches: readonly HighlightMatch[], options: HighlightOptions = {}): string {
  const [open, close] = (options.style ?? "brackets") === "ansi" ? ["\x1b[1m", "\x1b[22m"] : ["«", "»"];
  const min = options.minScore ?? -Infinity;
  const spans: Span[] = [];
  for (const m of matches) {
    if (m.span === null) continue;
    if (m.score !== undefined && m.score < min) continue;
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
