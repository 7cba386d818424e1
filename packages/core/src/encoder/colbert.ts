/**
 * The ColBERT encoder: texts in, one {@link TokenEmbeddings} per text out, in input order, exactly
 * as PyLate would compute them (tokenisation rules in `tokenize.ts`). Inputs are sorted by token
 * length so each batch pads little, run `batchSize` at a time on onnxruntime, projected through
 * the Dense head when the layout needs it, L2-normalised and put back in input order.
 *
 * Credits: the rules follow PyLate (`pylate/models/colbert.py`); the ONNX feeding follows
 * next-plaid's `next-plaid-onnx` (feed exactly the declared inputs).
 */
import { validate } from "../validation/parse.js";
import { colbertOptionsSchema, dirSchema } from "../validation/schemas.js";
import { MaxsimError, throwIfAborted } from "../errors.js";
import { loadModel } from "../model/load.js";
import type { LoadedModel } from "../model/types.js";
import type { EncodeAs, TokenEmbeddings } from "../types.js";
import { DenseHead, l2NormalizeRows } from "./dense.js";
import { ColbertSession } from "./session.js";
import { ColbertTokenizer, type TokenizedText } from "./tokenize.js";
import { checkPooling, poolTokens } from "./token-pooling.js";
import type { ColBERTOptions, EncodeOptions, Encoder, ModelInfo } from "./types.js";

const DEFAULT_BATCH_SIZE = 32;

/**
 * A PyLate-faithful ColBERT encoder on onnxruntime-node.
 *
 * @example
 * ```ts
 * import { ColBERT } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const { lexical } = await ensureFixtures();
 * const model = await ColBERT.fromPretrained(lexical);
 * const [q] = await model.encodeQueries(["cats"]);
 * console.log(q.length === model.info.queryLength, q.dim === model.dim); // true true
 * await model.dispose();
 * ```
 */
export class ColBERT implements Encoder {
  private disposed = false;

  private constructor(
    readonly modelId: string,
    readonly info: ModelInfo,
    private readonly tokenizer: ColbertTokenizer,
    private readonly session: ColbertSession,
    private readonly loaded: LoadedModel,
    private readonly batchSize: number,
    private readonly denseHead: DenseHead | null,
  ) {}

  /** Vector size. */
  get dim(): number {
    return this.info.dim;
  }

  /**
   * Loads a model from a directory or a hub id; the layout is detected.
   *
   * @param idOrDir - a model directory, or a hub id such as `lightonai/GTE-ModernColBERT-v1`
   * @param options - batch size, threads, int8, length overrides, hub options
   * @throws MaxsimError `MODEL_NOT_FOUND`, `HUB_OFFLINE`, `UNKNOWN_LAYOUT`, `UNSUPPORTED_MODEL`,
   * `CONFIG_MISSING`, `CONFIG_INVALID`, `MODEL_IO_MISMATCH`, `INVALID_OPTION`
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical, { batchSize: 8, queryLength: 16 });
   * console.log(model.info.layout, model.info.queryLength); // pylate-onnx 16
   * await model.dispose();
   * ```
   */
  static async fromPretrained(idOrDir: string, options: ColBERTOptions = {}): Promise<ColBERT> {
    validate(dirSchema, idOrDir, {
      where: "ColBERT.fromPretrained",
      name: "idOrDir",
      code: "INVALID_INPUT",
      fix: 'Pass a hub id such as "lightonai/colbertv2.0" or a model directory.',
    });
    validate(colbertOptionsSchema, options, {
      where: "ColBERT.fromPretrained",
      name: "options",
      code: "INVALID_OPTION",
      fix: "Pass { batchSize?, int8?, queryLength?, documentLength?, cacheDir?, … } or omit it.",
    });
    checkPositive("batchSize", options.batchSize);
    checkPositive("intraOpThreads", options.intraOpThreads);
    checkPositive("queryLength", options.queryLength);
    checkPositive("documentLength", options.documentLength);
    const { modelId, dir, loaded } = await loadModel(idOrDir, {
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.revision === undefined ? {} : { revision: options.revision }),
      ...(options.localFilesOnly === undefined ? {} : { localFilesOnly: options.localFilesOnly }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.int8 === undefined ? {} : { int8: options.int8 }),
    });
    const config = {
      ...loaded.config,
      ...(options.queryLength === undefined ? {} : { queryLength: options.queryLength }),
      ...(options.documentLength === undefined ? {} : { documentLength: options.documentLength }),
    };
    for (const [name, value, prefix] of [
      ["queryLength", config.queryLength, config.queryPrefix],
      ["documentLength", config.documentLength, config.documentPrefix],
    ] as const) {
      if (prefix !== "" && value < 3)
        throw new MaxsimError("INVALID_OPTION", `${name} ${value} leaves no room for special tokens and the prefix; use at least 3.`);
    }
    const tokenizer = await ColbertTokenizer.load(loaded.tokenizerDir, config);
    const dense = loaded.dense;
    const width = dense.length > 0 ? dense[0]!.inFeatures : config.embeddingDim;
    const dim = dense.length > 0 ? dense[dense.length - 1]!.outFeatures : config.embeddingDim;
    const session = await ColbertSession.create(loaded.onnx, {
      ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
      expectedWidth: width,
      label: typeof loaded.onnx === "string" ? loaded.onnx : `the ${loaded.layout} model of ${modelId}`,
    });
    const info: ModelInfo = {
      modelId,
      dir,
      layout: loaded.layout,
      onnx: typeof loaded.onnx === "string" ? loaded.onnx : "<in-memory>",
      queryPrefix: config.queryPrefix,
      documentPrefix: config.documentPrefix,
      queryPrefixId: tokenizer.queryPrefixId,
      documentPrefixId: tokenizer.documentPrefixId,
      queryLength: config.queryLength,
      documentLength: config.documentLength,
      doQueryExpansion: config.doQueryExpansion,
      attendToExpansionTokens: config.attendToExpansionTokens,
      expansionTokenId: tokenizer.expansionId,
      expansionToken: tokenizer.idToToken(tokenizer.expansionId) || null,
      paddingSide: tokenizer.paddingSide,
      doLowerCase: config.doLowerCase,
      skiplistWords: [...config.skiplistWords],
      skiplistIds: [...tokenizer.skiplistIds].sort((a, b) => a - b),
      dim,
      inputs: session.inputNames,
      outputs: session.outputNames,
      dense: dense.map((d) => ({ inFeatures: d.inFeatures, outFeatures: d.outFeatures, bias: d.bias !== null })),
    };
    let denseHead: DenseHead | null = null;
    if (dense.length > 0) {
      try {
        denseHead = await DenseHead.create(dense, options.intraOpThreads);
      } catch (error) {
        await session.release();
        throw error;
      }
    }
    return new ColBERT(modelId, info, tokenizer, session, { ...loaded, config }, options.batchSize ?? DEFAULT_BATCH_SIZE, denseHead);
  }

  /**
   * Encodes queries: prefix, expansion to `queryLength`, every position kept.
   * @throws MaxsimError `EMPTY_INPUT`, `INVALID_INPUT`, `ABORTED`, `INVALID_OPTION`
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * const [q] = await model.encodeQueries(["where do cats sleep"]);
   * console.log(q.length, model.tokenStrings(q.tokenIds).slice(0, 3)); // 32 [ '[CLS]', '[Q] ', 'where' ]
   * await model.dispose();
   * ```
   */
  encodeQueries(texts: string[], opts: EncodeOptions = {}): Promise<TokenEmbeddings[]> {
    return this.encode(texts, { ...opts, as: "query" });
  }

  /**
   * Encodes documents: prefix, truncation to `documentLength`, padding and skiplist tokens dropped;
   * with `poolFactor` > 1, each document's vectors are then pooled (PyLate's hierarchical pooling).
   * @throws MaxsimError `EMPTY_INPUT`, `INVALID_INPUT`, `ABORTED`, `INVALID_OPTION`
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * const [d] = await model.encodeDocuments(["Cats sleep."]);
   * console.log(model.tokenStrings(d.tokenIds)); // [ '[CLS]', '[D] ', 'cats', 'sleep', '[SEP]' ]
   * const [pooled] = await model.encodeDocuments(["Cats sleep."], { poolFactor: 2 });
   * console.log(pooled.length); // 3
   * await model.dispose();
   * ```
   */
  encodeDocuments(texts: string[], opts: EncodeOptions = {}): Promise<TokenEmbeddings[]> {
    return this.encode(texts, { ...opts, as: "document" });
  }

  /**
   * Encodes `texts` as queries or documents; results are in input order.
   * @throws MaxsimError `EMPTY_INPUT`, `INVALID_INPUT`, `ABORTED`, `INVALID_OPTION`
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * const out = await model.encode(["a long document about cats", "cats"], { as: "document", batchSize: 1 });
   * console.log(out.map((e) => e.length)); // [ 15, 4 ]
   * await model.dispose();
   * ```
   */
  async encode(texts: string[], opts: EncodeOptions & { as: EncodeAs }): Promise<TokenEmbeddings[]> {
    if (typeof opts !== "object" || opts === null)
      throw new MaxsimError("INVALID_OPTION", 'encode(texts, opts) needs opts { as: "query" | "document", batchSize?, signal? }.');
    if (this.disposed) throw new MaxsimError("INVALID_OPTION", "This encoder was disposed. Load the model again with ColBERT.fromPretrained.");
    const as = opts.as;
    if (as !== "query" && as !== "document") throw new MaxsimError("INVALID_OPTION", `"as" must be "query" or "document", got ${JSON.stringify(as)}.`);
    if (!Array.isArray(texts)) throw new MaxsimError("INVALID_INPUT", "Texts must be an array of strings.");
    if (texts.length === 0) throw new MaxsimError("EMPTY_INPUT", "No texts to encode. Pass at least one string.");
    for (let i = 0; i < texts.length; i++) {
      if (typeof texts[i] !== "string") {
        throw new MaxsimError(
          "INVALID_INPUT",
          `Text ${i} is ${texts[i] === null ? "null" : typeof texts[i]}, not a string. Convert every input to a string before encoding.`,
        );
      }
    }
    checkPositive("batchSize", opts.batchSize);
    const poolFactor = opts.poolFactor ?? 1;
    const protectedTokens = opts.protectedTokens ?? 1;
    checkPooling(poolFactor, protectedTokens);
    if (as === "query" && poolFactor > 1) {
      throw new MaxsimError(
        "INVALID_OPTION",
        `poolFactor ${poolFactor} was passed to a query encode; token pooling is for documents only. Drop poolFactor from the query call.`,
      );
    }
    const batchSize = opts.batchSize ?? this.batchSize;
    throwIfAborted(opts.signal);

    const tokenized: TokenizedText[] = texts.map((t) => this.tokenizer.tokenize(t, as));
    // Longest first, like PyLate; ties keep input order so results do not depend on sort stability.
    const order = texts.map((_, i) => i).sort((a, b) => tokenized[b]!.ids.length - tokenized[a]!.ids.length || a - b);
    const results = new Array<TokenEmbeddings>(texts.length);
    const dense = this.loaded.dense;
    const width = dense.length > 0 ? dense[0]!.inFeatures : this.dim;
    let done = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      throwIfAborted(opts.signal);
      const indices = order.slice(start, start + batchSize);
      const batch = this.tokenizer.buildBatch(
        indices.map((i) => tokenized[i]!),
        as,
      );
      const { data } = await this.session.run(batch, width);
      // Gather the kept rows of the whole batch, project them once, normalise, split.
      const counts = new Array<number>(batch.batch).fill(0);
      let total = 0;
      for (let b = 0; b < batch.batch; b++) {
        for (let s = 0; s < batch.seq; s++) counts[b]! += batch.keep[b * batch.seq + s]!;
        total += counts[b]!;
      }
      const gathered = new Float32Array(total * width);
      const ids = new Int32Array(total);
      let w = 0;
      for (let i = 0; i < batch.batch * batch.seq; i++) {
        if (batch.keep[i] === 1) {
          gathered.set(data.subarray(i * width, (i + 1) * width), w * width);
          ids[w] = batch.inputIds[i]!;
          w++;
        }
      }
      const vectors = this.denseHead === null ? gathered : await this.denseHead.run(gathered, total);
      l2NormalizeRows(vectors, this.dim);
      let from = 0;
      for (let b = 0; b < batch.batch; b++) {
        const n = counts[b]!;
        const e: TokenEmbeddings = {
          data: vectors.slice(from * this.dim, (from + n) * this.dim),
          length: n,
          dim: this.dim,
          tokenIds: ids.slice(from, from + n),
        };
        results[indices[b]!] = poolFactor > 1 ? poolTokens(e, poolFactor, protectedTokens) : e;
        from += n;
      }
      done += indices.length;
      opts.onProgress?.(done, texts.length);
    }
    return results;
  }

  /**
   * The content token ids of `text` as a document is tokenised (lower-cased when the model says
   * so), without special tokens, prefix or truncation: what chunking counts to keep each chunk
   * within `documentLength`. No ONNX run.
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * const ids = model.tokenize("Cats sleep.");
   * console.log(ids.length, model.tokenStrings(ids)); // 3 [ 'cats', 'sleep', '.' ]
   * await model.dispose();
   * ```
   */
  tokenize(text: string): Int32Array {
    if (typeof text !== "string") throw new MaxsimError("INVALID_INPUT", `tokenize takes a string, got ${text === null ? "null" : typeof text}.`);
    return Int32Array.from(this.tokenizer.contentIds(text));
  }

  /**
   * The `tokenIds` that encoding `text` as `as` returns (the same kept positions: prefix,
   * truncation, expansion, skiplist), computed from the tokenizer alone, with no model run. An
   * explanation pairs them with vectors already stored in an index.
   * @throws MaxsimError `INVALID_INPUT`, `INVALID_OPTION`
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * console.log(model.tokenStrings(model.outputTokenIds("Cats sleep.", "document"))); // [ '[CLS]', '[D] ', 'cats', 'sleep', '[SEP]' ]
   * await model.dispose();
   * ```
   */
  outputTokenIds(text: string, as: EncodeAs): Int32Array {
    if (as !== "query" && as !== "document") throw new MaxsimError("INVALID_OPTION", `"as" must be "query" or "document", got ${JSON.stringify(as)}.`);
    if (typeof text !== "string") throw new MaxsimError("INVALID_INPUT", `outputTokenIds takes a string, got ${text === null ? "null" : typeof text}.`);
    // A batch of one keeps the same positions as any batch: keeping depends on attention and
    // ids only, and padding is never kept for documents (queries keep all of it by design).
    const batch = this.tokenizer.buildBatch([this.tokenizer.tokenize(text, as)], as);
    const out: number[] = [];
    for (let i = 0; i < batch.seq; i++) if (batch.keep[i] === 1) out.push(batch.inputIds[i]!);
    return Int32Array.from(out);
  }

  /**
   * A readable token per id (for explanations and highlights).
   * @example
   * ```ts
   * import { ColBERT } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const { lexical } = await ensureFixtures();
   * const model = await ColBERT.fromPretrained(lexical);
   * const [q] = await model.encodeQueries(["cats"]);
   * console.log(model.tokenStrings(q.tokenIds).slice(0, 5)); // [ '[CLS]', '[Q] ', 'cats', '[SEP]', '[MASK]' ]
   * await model.dispose();
   * ```
   */
  tokenStrings(ids: Int32Array): string[] {
    return Array.from(ids, (id) => this.tokenizer.idToToken(id));
  }

  /** Releases the onnxruntime session. Further encode calls throw. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
    await this.denseHead?.release();
  }
}

function checkPositive(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new MaxsimError("INVALID_OPTION", `${name} must be a positive integer, got ${String(value)}.`);
  }
}
