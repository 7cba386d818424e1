/**
 * Input reading for `maxsim index` and `maxsim add`: expands files, directories and globs, reads
 * `.txt`/`.md` files as one document each (id = path relative to the working directory) or JSONL
 * records (`--jsonl`), optionally chunks long texts, and yields documents one at a time so memory
 * stays flat however large the corpus is. `-` reads standard input.
 *
 * Globs are expanded here (Node 20 has no `fs.glob`) for the patterns users quote to keep their
 * shell from expanding them: `*`, `?`, `**`, `{a,b}` and `[abc]`.
 */
import { createReadStream } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { MaxsimError } from "../errors.js";
import type { DocumentInput, Metadata } from "../collection/types.js";
import { alignTokens } from "../collection/spans.js";
import type { Encoder } from "../encoder/types.js";

/** File extensions read as documents when a directory or glob is given. */
export const TEXT_EXTENSIONS = [".txt", ".md", ".markdown"];

/** One resolved input: a file on disk or standard input. */
export interface InputSource {
  /** Absolute path, or `"-"` for standard input. */
  path: string;
  /** Path relative to the working directory with `/` separators (the document id base). */
  id: string;
  /** Size in bytes (0 for stdin: unknown). */
  bytes: number;
}

function toId(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return (rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel).split(path.sep).join("/");
}

function hasGlob(p: string): boolean {
  return /[*?[{]/.test(p);
}

/** Glob → RegExp over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` matches anything.
        if (glob[i + 2] === "/") {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const close = glob.indexOf("}", i);
      if (close < 0) re += "\\{";
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(",")
          .map((a) =>
            a
              .replace(/[.+^$()|\\]/g, "\\$&")
              .replace(/\*/g, "[^/]*")
              .replace(/\?/g, "[^/]"),
          )
          .join("|")})`;
        i = close;
      }
    } else if (c === "[") {
      const close = glob.indexOf("]", i);
      if (close < 0) re += "\\[";
      else {
        re += glob.slice(i, close + 1).replace(/^\[!/, "[^");
        i = close;
      }
    } else re += c.replace(/[.+^$()|\\\]}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

function unreadable(p: string, error: unknown): MaxsimError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new MaxsimError("IO_ERROR", `Cannot read ${p} (${reason}). Check the path and its permissions.`, { cause: error });
}

/**
 * Resolves the positional inputs to a sorted, de-duplicated list of sources.
 *
 * @param inputs - files, directories (searched for `.txt`/`.md`, or `.jsonl` with `jsonl`), globs, or `-`
 * @param options - `jsonl`: which extension directories and globs select; `cwd` for relative ids
 * @throws MaxsimError `IO_ERROR` for a missing or unreadable path, `INVALID_INPUT` when a glob matches nothing
 */
export async function resolveInputs(inputs: readonly string[], options: { jsonl?: boolean; cwd?: string } = {}): Promise<InputSource[]> {
  const cwd = options.cwd ?? process.cwd();
  const exts = options.jsonl ? [".jsonl", ".ndjson"] : TEXT_EXTENSIONS;
  const out: InputSource[] = [];
  const seen = new Set<string>();
  const push = async (abs: string): Promise<void> => {
    if (seen.has(abs)) return;
    seen.add(abs);
    let s: Stats;
    try {
      s = await stat(abs);
    } catch (error) {
      throw unreadable(abs, error);
    }
    out.push({ path: abs, id: toId(abs, cwd), bytes: s.size });
  };
  for (const input of inputs) {
    if (input === "-") {
      if (!seen.has("-")) out.push({ path: "-", id: "stdin", bytes: 0 });
      seen.add("-");
      continue;
    }
    const abs = path.resolve(cwd, input);
    if (hasGlob(input)) {
      // Walk from the longest glob-free directory prefix.
      const parts = input.split(/[\\/]/);
      const firstGlob = parts.findIndex(hasGlob);
      const base = path.resolve(cwd, parts.slice(0, firstGlob).join("/") || ".");
      const re = globToRegExp(parts.slice(firstGlob).join("/"));
      const files: string[] = [];
      try {
        await walk(base, files);
      } catch (error) {
        throw unreadable(base, error);
      }
      const matched = files.filter((f) => re.test(path.relative(base, f).split(path.sep).join("/")));
      if (matched.length === 0) throw new MaxsimError("INVALID_INPUT", `The pattern ${input} matches no files. Check the pattern and the working directory.`);
      for (const f of matched) await push(f);
      continue;
    }
    let s: Stats;
    try {
      s = await stat(abs);
    } catch (error) {
      throw unreadable(input, error);
    }
    if (s.isDirectory()) {
      const files: string[] = [];
      await walk(abs, files);
      for (const f of files) if (exts.includes(path.extname(f).toLowerCase())) await push(f);
    } else await push(abs);
  }
  return out;
}

/** Chunking settings: windows of `size` units overlapping by `overlap`. */
export interface ChunkOptions {
  size: number;
  overlap: number;
  /**
   * Character spans of the units (tokens or words) of a text; when absent, whitespace-separated
   * words are the units.
   */
  units?: (text: string) => [number, number][];
}

/**
 * The character spans of the model's tokens in `text`: the encoder's document tokenisation
 * ({@link Encoder.tokenize}) aligned back to the text ({@link alignTokens}). A token that cannot
 * be located (an unknown-word token, one byte of a multi-byte character) spans the gap between
 * its located neighbours, so every token is counted and no text falls between chunks.
 *
 * @example
 * ```ts
 * import { ColBERT } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * import { tokenSpans } from "./read-inputs.js";
 * const model = await ColBERT.fromPretrained((await ensureFixtures()).lexical);
 * console.log(tokenSpans(model, "Cats sleep.")); // [ [ 0, 4 ], [ 5, 10 ], [ 10, 11 ] ]
 * await model.dispose();
 * ```
 */
export function tokenSpans(encoder: Pick<Encoder, "tokenize" | "tokenStrings">, text: string): [number, number][] {
  const aligned = alignTokens(text, encoder.tokenStrings(encoder.tokenize(text)));
  const out: [number, number][] = [];
  let prevEnd = 0;
  for (let i = 0; i < aligned.length; i++) {
    const span = aligned[i];
    if (span) {
      out.push([span[0], span[1]]);
      prevEnd = span[1];
      continue;
    }
    let next = text.length;
    for (let j = i + 1; j < aligned.length; j++) {
      const s = aligned[j];
      if (s) {
        next = s[0];
        break;
      }
    }
    let start = prevEnd;
    let end = Math.max(start, next);
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    out.push([start, end]);
  }
  return out;
}

/** Whitespace-separated words with their character spans. */
export function wordSpans(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(/\S+/g)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/**
 * Splits `text` into windows of `size` units that overlap by `overlap` units; each chunk is the
 * original text from its first unit's start to its last unit's end (formatting kept).
 *
 * @example
 * ```ts
 * import { chunkText } from "./read-inputs.js";
 * console.log(chunkText("a b c d e", { size: 2, overlap: 1 })); // ["a b", "b c", "c d", "d e"]
 * ```
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  const units = (options.units ?? wordSpans)(text);
  if (units.length <= options.size) return units.length === 0 ? [] : [text.slice(units[0]![0], units[units.length - 1]![1])];
  const step = options.size - options.overlap;
  const out: string[] = [];
  for (let start = 0; start < units.length; start += step) {
    const end = Math.min(units.length, start + options.size);
    out.push(text.slice(units[start]![0], units[end - 1]![1]));
    if (end === units.length) break;
  }
  return out;
}

async function* lines(source: InputSource, stdin: Readable): AsyncGenerator<[string, number, number]> {
  const stream = source.path === "-" ? stdin : createReadStream(source.path, { encoding: "utf8" });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      yield [line, n, Buffer.byteLength(line, "utf8") + 1];
    }
  } catch (error) {
    throw unreadable(source.path, error);
  }
}

function parseRecord(line: string, where: string, fallbackId: string): DocumentInput {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (error) {
    throw new MaxsimError(
      "INVALID_INPUT",
      `${where} is not valid JSON (${(error as Error).message}). Each line must be an object {"id", "text", "metadata"}.`,
      {
        cause: error,
      },
    );
  }
  if (typeof rec !== "object" || rec === null || Array.isArray(rec))
    throw new MaxsimError("INVALID_INPUT", `${where} is not a JSON object. Each line must be {"id", "text", "metadata"}.`);
  const r = rec as Record<string, unknown>;
  // BEIR corpora call the id `_id` and sometimes carry a `title`: accept both.
  const rawId = r.id ?? r._id;
  const text = typeof r.title === "string" && r.title.length > 0 && typeof r.text === "string" ? `${r.title}\n${r.text}` : r.text;
  if (typeof text !== "string") throw new MaxsimError("INVALID_INPUT", `${where} has no string "text" field. Each line must be {"id", "text", "metadata"}.`);
  if (rawId !== undefined && typeof rawId !== "string" && typeof rawId !== "number") {
    throw new MaxsimError("INVALID_INPUT", `${where} has an "id" that is neither a string nor a number.`);
  }
  const metadata = r.metadata;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    throw new MaxsimError("INVALID_INPUT", `${where} has a "metadata" that is not an object.`);
  }
  return { id: rawId === undefined ? fallbackId : String(rawId), text, metadata: (metadata as Metadata | undefined) ?? {} };
}

/** A document read from an input, with how many input bytes it accounts for (for progress). */
export interface ReadDocument extends DocumentInput {
  id: string;
  bytes: number;
}

/** Options for {@link readDocuments}. */
export interface ReadDocumentsOptions {
  /** Read JSONL records instead of one document per file. */
  jsonl?: boolean;
  /** Split documents into overlapping chunks. */
  chunk?: ChunkOptions;
  /** Standard input (tests pass their own). @defaultValue `process.stdin` */
  stdin?: Readable;
}

function* chunked(doc: ReadDocument, chunk: ChunkOptions | undefined): Generator<ReadDocument> {
  if (!chunk) {
    yield doc;
    return;
  }
  const parts = chunkText(doc.text, chunk);
  if (parts.length <= 1) {
    yield doc;
    return;
  }
  for (let i = 0; i < parts.length; i++) {
    yield {
      id: `${doc.id}#${i}`,
      text: parts[i]!,
      metadata: { ...(doc.metadata ?? {}), source: doc.id, chunk: i },
      // Attribute the input bytes to the last chunk so progress reaches 100% exactly once.
      bytes: i === parts.length - 1 ? doc.bytes : 0,
    };
  }
}

/**
 * Streams the documents of `sources` in order.
 *
 * Text files give one document (id = relative path, metadata `{ source: path }`); JSONL lines
 * give `{ id, text, metadata }` (id defaults to `path:line`); without `--jsonl`, standard input
 * gives one document per non-empty line (id `stdin:line`). With chunking, a document longer than
 * one window becomes `id#0`, `id#1`, … with `source` and `chunk` in the metadata.
 *
 * @throws MaxsimError `IO_ERROR` for an unreadable file, `INVALID_INPUT` for a bad JSONL line
 */
export async function* readDocuments(sources: readonly InputSource[], options: ReadDocumentsOptions = {}): AsyncGenerator<ReadDocument> {
  const stdin = options.stdin ?? process.stdin;
  for (const source of sources) {
    if (options.jsonl) {
      for await (const [line, n, bytes] of lines(source, stdin)) {
        if (line.trim().length === 0) continue;
        const doc = parseRecord(line, `${source.id}:${n}`, `${source.id}:${n}`);
        yield* chunked({ ...doc, id: doc.id!, bytes }, options.chunk);
      }
    } else if (source.path === "-") {
      for await (const [line, n, bytes] of lines(source, stdin)) {
        if (line.trim().length === 0) continue;
        yield* chunked({ id: `stdin:${n}`, text: line, metadata: { source: "stdin", line: n }, bytes }, options.chunk);
      }
    } else {
      let text: string;
      try {
        text = await readFile(source.path, "utf8");
      } catch (error) {
        throw unreadable(source.id, error);
      }
      if (text.trim().length === 0) continue;
      yield* chunked({ id: source.id, text, metadata: { source: source.id }, bytes: source.bytes }, options.chunk);
    }
  }
}
