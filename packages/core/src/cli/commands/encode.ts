/**
 * `maxsim encode --model <id|dir> --as query|document [--input FILE|-]`: one text per input line,
 * one JSON line per text: `{"index": i, "shape": [length, dim], "data": [...]}` (row-major floats).
 * Texts are encoded in chunks so memory stays bounded on long inputs.
 */
import { createReadStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { ColBERT } from "../../encoder/colbert.js";
import { MaxsimError } from "../../errors.js";
import { modelProgress } from "../progress.js";
import type { EncodeAs } from "../../types.js";
import { intOption } from "../options.js";

interface EncodeCliOptions {
  model: string;
  as: string;
  input: string;
  batchSize?: string;
  threads?: string;
  int8?: boolean;
  queryLength?: string;
  documentLength?: string;
}

/** Lines per encode call: bounds memory while still giving length sorting room to work. */
const CHUNK = 1024;

/** Registers `maxsim encode`. */
export function registerEncode(program: Command): void {
  program
    .command("encode")
    .description("encode texts (one per line) into per-token vectors; writes JSONL {index, shape, data}")
    .requiredOption("-m, --model <id|dir>", "hub id or model directory")
    .requiredOption("--as <side>", "query or document")
    .option("-i, --input <file>", "input file, one text per line (- for stdin)", "-")
    .option("--batch-size <n>", "texts per ONNX run")
    .option("--threads <n>", "onnxruntime intra-op threads")
    .option("--int8", "use model_int8.onnx when present")
    .option("--query-length <n>", "override the query length")
    .option("--document-length <n>", "override the document length")
    .action(async (opts: EncodeCliOptions) => {
      if (opts.as !== "query" && opts.as !== "document") {
        throw new MaxsimError("INVALID_OPTION", `--as must be "query" or "document", got ${JSON.stringify(opts.as)}.`);
      }
      const as: EncodeAs = opts.as;
      const batchSize = intOption("--batch-size", opts.batchSize);
      const intraOpThreads = intOption("--threads", opts.threads);
      const queryLength = intOption("--query-length", opts.queryLength);
      const documentLength = intOption("--document-length", opts.documentLength);
      const model = await ColBERT.fromPretrained(opts.model, {
        onProgress: modelProgress,
        ...(batchSize === undefined ? {} : { batchSize }),
        ...(intraOpThreads === undefined ? {} : { intraOpThreads }),
        ...(opts.int8 === true ? { int8: true } : {}),
        ...(queryLength === undefined ? {} : { queryLength }),
        ...(documentLength === undefined ? {} : { documentLength }),
      });
      try {
        const input = opts.input === "-" ? process.stdin : createReadStream(opts.input);
        input.on("error", () => undefined);
        const lines = createInterface({ input, crlfDelay: Infinity });
        let index = 0;
        let chunk: string[] = [];
        const flush = async (): Promise<void> => {
          if (chunk.length === 0) return;
          const out = await model.encode(chunk, { as });
          for (const e of out) {
            const line = `${JSON.stringify({ index, shape: [e.length, e.dim], data: Array.from(e.data) })}\n`;
            if (!process.stdout.write(line)) await once(process.stdout, "drain");
            index++;
          }
          chunk = [];
        };
        try {
          for await (const line of lines) {
            chunk.push(line);
            if (chunk.length >= CHUNK) await flush();
          }
        } catch (cause) {
          throw new MaxsimError("IO_ERROR", `Cannot read ${opts.input}: ${cause instanceof Error ? cause.message : String(cause)}. Check the path.`, { cause });
        }
        await flush();
        if (index === 0)
          throw new MaxsimError("EMPTY_INPUT", `No lines to encode in ${opts.input === "-" ? "standard input" : opts.input}. Give one text per line.`);
      } finally {
        await model.dispose();
      }
    });
}
