/**
 * Maps a document's tokens back to character spans of its text, so an explanation can say *where*
 * a query token matched. Tokenizers do not all keep offsets (transformers.js does not expose
 * them), so spans are recovered by aligning the readable token strings against the text: both
 * sides are normalised (NFKD, combining marks dropped, lower-cased — what uncased WordPiece does),
 * sub-word markers are stripped (`##`, `Ġ`, `▁`), GPT-2 byte-level strings are decoded back to
 * UTF-8, and tokens are matched left to right from a moving cursor. A token that cannot be found
 * close to the cursor (special tokens, prefixes, partial bytes of a multi-byte character) gets
 * `null` and does not move the cursor, so one miss cannot derail the rest.
 */

/** Half-open `[start, end)` character offsets into the original text. */
export type Span = [start: number, end: number];

/** The text in normalised form plus, per normalised UTF-16 unit, its original span. */
interface Normalised {
  text: string;
  start: number[];
  end: number[];
}

function normaliseChar(c: string): string {
  return c.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

function normaliseText(text: string): Normalised {
  let out = "";
  const start: number[] = [];
  const end: number[] = [];
  let i = 0;
  for (const ch of text) {
    const n = normaliseChar(ch);
    for (let k = 0; k < n.length; k++) {
      start.push(i);
      end.push(i + ch.length);
    }
    out += n;
    i += ch.length;
  }
  return { text: out, start, end };
}

/** GPT-2's byte → printable character table used by ByteLevel pre-tokenizers (`bytes_to_unicode`). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => {
    table[b] = String.fromCharCode(cs[i]!);
  });
  return table;
})();

/** The inverse of {@link BYTE_TO_UNICODE}. */
const BYTE_DECODER = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

/** Decodes a byte-level BPE token string to text, or `null` when it is not byte-level or not whole UTF-8. */
function decodeByteLevel(token: string): string | null {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = BYTE_DECODER.get(ch);
    if (b === undefined) return null;
    bytes.push(b);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/** True for tokens that never correspond to text: `[CLS]`, `<s>`, `<|im_end|>`, `[D]`, … */
function isSpecial(raw: string): boolean {
  const token = raw.trim();
  return /^\[[^\]\s]+\]$/.test(token) || /^<\|?[^<>\s]*\|?>$/.test(token);
}

/**
 * True when a readable token stands for text worth highlighting: not a special or prefix token
 * (`[CLS]`, `[Q]`, `[MASK]`, `<|im_end|>`), not pure punctuation or whitespace.
 *
 * @example
 * ```ts
 * import { isTextToken } from "@maxsim/core";
 * console.log(isTextToken("##chat"), isTextToken("[MASK]"), isTextToken(",")); // true false false
 * ```
 */
export function isTextToken(token: string): boolean {
  if (token.length === 0 || isSpecial(token)) return false;
  return readings(token).some((r) => /[\p{L}\p{N}]/u.test(r));
}

/** Candidate readings of a token string, each already normalised and stripped of markers. */
function readings(token: string): string[] {
  const out: string[] = [];
  const push = (s: string | null): void => {
    if (s === null) return;
    const n = normaliseChar(
      s
        .replace(/^##/, "")
        .replace(/^[\u0120\u2581]+/, "")
        .trim(),
    );
    if (n.length > 0 && !out.includes(n)) out.push(n);
  };
  push(token);
  const decoded = decodeByteLevel(token);
  if (decoded !== null && decoded !== token) push(decoded);
  return out;
}

/** How far past the cursor a token may be found (skipped punctuation, dropped tokens, …). */
const WINDOW = 96;

/**
 * Aligns readable token strings to `text` and returns one span (or `null`) per token.
 *
 * @param text - the document text the tokens came from
 * @param tokens - readable tokens in order (e.g. from `encoder.tokenStrings(tokenIds)`)
 * @example
 * ```ts
 * import { alignTokens } from "@maxsim/core";
 * console.log(alignTokens("Le chat dort.", ["[CLS]", "[D]", "le", "chat", "do", "##rt", ".", "[SEP]"])); // [null, null, [0, 2], [3, 7], [8, 10], [10, 12], [12, 13], null]
 * ```
 */
export function alignTokens(text: string, tokens: readonly string[]): (Span | null)[] {
  const norm = normaliseText(text);
  const bytes = utf8Index(text);
  // normOfChar[i]: the first normalised unit at or after original UTF-16 index i.
  const normOfChar = new Int32Array(text.length + 1).fill(norm.text.length);
  for (let n = norm.text.length - 1; n >= 0; n--) normOfChar[norm.start[n]!] = n;
  for (let i = text.length - 1; i >= 0; i--) normOfChar[i] = Math.min(normOfChar[i]!, normOfChar[i + 1]!);
  const spans: (Span | null)[] = [];
  let cursor = 0;
  let byteCursor = 0;
  const charMode = (token: string): Span | null => {
    for (const r of readings(token)) {
      const at = norm.text.indexOf(r, cursor);
      if (at < 0 || at - cursor > WINDOW) continue;
      const last = at + r.length - 1;
      cursor = at + r.length;
      const end = norm.end[last]!;
      byteCursor = bytes.byteOfChar[end]!;
      return [norm.start[at]!, end];
    }
    return null;
  };
  const byteMode = (token: string): Span | null => {
    const b = byteLevelBytes(token);
    if (b === null || b.length === 0) return null;
    const at = indexOfBytes(bytes.utf8, b, byteCursor, WINDOW * 4);
    if (at < 0) return null;
    let first = at;
    while (first < at + b.length - 1 && bytes.utf8[first] === 0x20) first++;
    const endByte = at + b.length;
    byteCursor = endByte;
    const endChar = bytes.charEndOfByte[endByte - 1]!;
    // Mid-character (a partial UTF-8 sequence): char-mode searching resumes after that character.
    cursor = normOfChar[endChar]!;
    return [bytes.charOfByte[first]!, endChar];
  };
  for (const token of tokens) {
    if (token.length === 0 || isSpecial(token)) {
      spans.push(null);
      continue;
    }
    // Byte-level pieces of a multi-byte character only make sense as bytes.
    const partialBytes = byteLevelBytes(token) !== null && decodeByteLevel(token) === null;
    spans.push(partialBytes ? (byteMode(token) ?? charMode(token)) : (charMode(token) ?? byteMode(token)));
  }
  return spans;
}

interface Utf8Index {
  utf8: Uint8Array;
  /** UTF-16 index of the character holding each byte. */
  charOfByte: Int32Array;
  /** UTF-16 end index of the character holding each byte. */
  charEndOfByte: Int32Array;
  /** Byte offset of each UTF-16 index (and of `text.length`). */
  byteOfChar: Int32Array;
}

function utf8Index(text: string): Utf8Index {
  const utf8 = new TextEncoder().encode(text);
  const charOfByte = new Int32Array(utf8.length);
  const charEndOfByte = new Int32Array(utf8.length);
  const byteOfChar = new Int32Array(text.length + 1);
  let b = 0;
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < ch.length; k++) byteOfChar[i + k] = b;
    for (let k = 0; k < n; k++) {
      charOfByte[b + k] = i;
      charEndOfByte[b + k] = i + ch.length;
    }
    b += n;
    i += ch.length;
  }
  byteOfChar[text.length] = utf8.length;
  return { utf8, charOfByte, charEndOfByte, byteOfChar };
}

/** The raw bytes of a GPT-2 byte-level token string, or `null` when it is not one. */
function byteLevelBytes(token: string): Uint8Array | null {
  const out: number[] = [];
  for (const ch of token) {
    const b = BYTE_DECODER.get(ch);
    if (b === undefined) return null;
    out.push(b);
  }
  return new Uint8Array(out);
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number, window: number): number {
  const last = Math.min(hay.length - needle.length, from + window);
  outer: for (let i = from; i <= last; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}
