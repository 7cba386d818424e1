/** `maxsim search <dir> "query"`: ranked results with scores and the matched terms highlighted. */
import type { Command } from "commander";
import { Collection } from "../../collection/collection.js";
import { parseFilterJson } from "../../collection/filter.js";
import { highlight, highlightSpans } from "../../collection/highlight.js";
import type { Span } from "../../collection/spans.js";
import { MaxsimError } from "../../errors.js";
import { modelProgress } from "../progress.js";
import { intOption } from "../options.js";

export { highlightSpans };

interface SearchCliOptions {
  k: string;
  filter?: string;
  exact?: boolean;
  json?: boolean;
  width: string;
  minScore: string;
}

/** A window of about `width` characters around the first highlighted span, whitespace collapsed. */
export function snippet(text: string, spans: readonly Span[], width: number, style: "brackets" | "ansi"): string {
  let start = 0;
  if (text.length > width && spans.length > 0) start = Math.max(0, Math.min(spans[0]![0] - Math.floor(width / 4), text.length - width));
  if (start > 0) {
    const ws = text.slice(start).search(/\s/);
    if (ws >= 0 && ws < 20) start += ws + 1;
  }
  const end = Math.min(text.length, start + width);
  const inside = spans.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => ({ span: [s - start, e - start] as Span }));
  const body = highlight(text.slice(start, end), inside, { style }).replace(/\s+/g, " ").trim();
  return `${start > 0 ? "…" : ""}${body}${end < text.length ? "…" : ""}`;
}

/** Registers `maxsim search`. */
export function registerSearch(program: Command): void {
  program
    .command("search")
    .description("search a collection; prints ranked results with scores and highlighted matches")
    .argument("<dir>", "a collection directory")
    .argument("<query>", "the query text")
    .option("-k, --k <n>", "number of results", "10")
    .option("--filter <json>", 'metadata filter, e.g. \'{"lang":{"$in":["fr","de"]}}\'')
    .option("--exact", "score every document exactly (default: exact while the scan fits the latency budget, else approximate)")
    .option("--json", "print JSON for scripts")
    .option("--width <chars>", "snippet width", "240")
    .option("--min-score <s>", "highlight matched tokens with at least this similarity (0–1)", "0.5")
    .action(async (dir: string, query: string, opts: SearchCliOptions) => {
      const k = intOption("-k", opts.k, 0)!;
      const width = intOption("--width", opts.width, 40)!;
      const minScore = Number(opts.minScore);
      if (!Number.isFinite(minScore)) throw new MaxsimError("INVALID_OPTION", `--min-score must be a number, got ${JSON.stringify(opts.minScore)}.`);
      const filter = opts.filter === undefined ? undefined : parseFilterJson(opts.filter);
      const collection = await Collection.open(dir, { readOnly: true, modelOptions: { onProgress: modelProgress } });
      try {
        // Without --exact the index plans per query (exact while the scan fits its latency budget).
        // Explained in the same call: the query is encoded once and each hit's highlights come
        // from the snapshot it was ranked in, so a write landing meanwhile cannot make a snippet
        // highlight another version of the document than the one scored.
        const results = (await collection.queryBatchExplained([query], { k, filter, ...(opts.exact === true ? { exact: true } : {}) }))[0]!;
        const explained = results.map((r) => highlightSpans(r.explanation, minScore));
        if (opts.json) {
          const out = results.map((r, i) => ({
            rank: i + 1,
            id: r.id,
            score: r.score,
            normalizedScore: r.normalizedScore,
            text: r.text,
            metadata: r.metadata,
            highlights: explained[i],
          }));
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        if (results.length === 0) {
          process.stdout.write("no results\n");
          return;
        }
        const style = process.stdout.isTTY ? "ansi" : "brackets";
        const lines: string[] = [];
        results.forEach((r, i) => {
          lines.push(`${String(i + 1).padStart(2)}. ${r.score.toFixed(4)}  ${r.id}`);
          lines.push(`    ${snippet(r.text, explained[i]!, width, style)}`);
        });
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        await collection.close();
      }
    });
}
