/**
 * The onnxruntime session of a ColBERT model: creation, validation of its declared inputs and
 * outputs against the configuration, and running one tokenised batch with exactly the inputs the
 * model declares.
 */
import * as ort from "onnxruntime-node";
import { MaxsimError } from "../errors.js";
import type { TokenizedBatch } from "./tokenize.js";

/** Inputs the encoder knows how to feed. */
const KNOWN_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids"]);

/** A validated session. */
export class ColbertSession {
  private constructor(
    readonly session: ort.InferenceSession,
    /** Declared inputs with their element type. */
    readonly inputs: { name: string; type: "int64" | "int32" }[],
    readonly outputName: string,
    /** Width of the first output's last axis when static, else `null`. */
    readonly staticWidth: number | null,
  ) {}

  /**
   * Creates the session and checks its IO: inputs must be among `input_ids`, `attention_mask`,
   * `token_type_ids` (int64 or int32, rank 2); the first output must be rank 3 with last axis
   * `expectedWidth` when static.
   * @throws MaxsimError `MODEL_NOT_FOUND` when onnxruntime cannot load the file, `MODEL_IO_MISMATCH`.
   */
  static async create(model: string | Uint8Array, options: { intraOpThreads?: number; expectedWidth: number; label: string }): Promise<ColbertSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      interOpNumThreads: 1,
      ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads }),
    };
    let session: ort.InferenceSession;
    try {
      session = typeof model === "string" ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
    } catch (cause) {
      throw new MaxsimError(
        "MODEL_NOT_FOUND",
        `onnxruntime could not load ${options.label}: ${cause instanceof Error ? cause.message : String(cause)}. Re-download or re-export the model.`,
        { cause },
      );
    }
    try {
      return ColbertSession.validate(session, options.expectedWidth, options.label);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private static validate(session: ort.InferenceSession, expectedWidth: number, label: string): ColbertSession {
    const mismatch = (problem: string): MaxsimError =>
      new MaxsimError(
        "MODEL_IO_MISMATCH",
        `${label}: ${problem}. Use a ColBERT export (pylate-onnx-export) or an ONNX backbone whose inputs are input_ids/attention_mask[/token_type_ids] and whose first output is [batch, seq, hidden].`,
      );
    const inputs: { name: string; type: "int64" | "int32" }[] = [];
    for (const meta of session.inputMetadata) {
      if (!KNOWN_INPUTS.has(meta.name))
        throw mismatch(`it declares input "${meta.name}", which a ColBERT encoder does not feed (known: ${[...KNOWN_INPUTS].join(", ")})`);
      if (!meta.isTensor || (meta.type !== "int64" && meta.type !== "int32")) throw mismatch(`input "${meta.name}" must be an int64 or int32 tensor`);
      if (meta.shape.length !== 0 && meta.shape.length !== 2)
        throw mismatch(`input "${meta.name}" must have rank 2 [batch, seq], has rank ${meta.shape.length}`);
      inputs.push({ name: meta.name, type: meta.type });
    }
    if (!inputs.some((i) => i.name === "input_ids")) throw mismatch("it has no input_ids input");
    const first = session.outputMetadata[0];
    if (!first || !first.isTensor) throw mismatch("it has no tensor output");
    if (first.shape.length !== 0 && first.shape.length !== 3)
      throw mismatch(`its first output "${first.name}" must have rank 3 [batch, seq, dim], has rank ${first.shape.length}`);
    const last = first.shape.length === 3 ? first.shape[2] : undefined;
    const staticWidth = typeof last === "number" && last > 0 ? last : null;
    if (staticWidth !== null && staticWidth !== expectedWidth) {
      throw mismatch(
        `its first output "${first.name}" has ${staticWidth} columns but the configuration expects ${expectedWidth} (embedding_dim, or the Dense head's in_features)`,
      );
    }
    return new ColbertSession(session, inputs, first.name, staticWidth);
  }

  /** Input names in declaration order. */
  get inputNames(): string[] {
    return this.inputs.map((i) => i.name);
  }

  /** All output names. */
  get outputNames(): string[] {
    return [...this.session.outputNames];
  }

  /** The feeds for `batch`, exactly the declared inputs. */
  feeds(batch: TokenizedBatch): Record<string, ort.Tensor> {
    const dims = [batch.batch, batch.seq];
    const out: Record<string, ort.Tensor> = {};
    for (const { name, type } of this.inputs) {
      const source = name === "input_ids" ? batch.inputIds : name === "attention_mask" ? batch.attentionMask : batch.tokenTypeIds;
      out[name] = type === "int64" ? new ort.Tensor("int64", toInt64(source), dims) : new ort.Tensor("int32", Int32Array.from(source), dims);
    }
    return out;
  }

  /**
   * Runs `batch` (or pre-built feeds) and returns the first output as `[batch, seq, width]`.
   * @throws MaxsimError `MODEL_IO_MISMATCH` when the output's shape is wrong.
   */
  async run(batch: TokenizedBatch, expectedWidth: number, feeds = this.feeds(batch)): Promise<{ data: Float32Array; width: number }> {
    const result = await this.session.run(feeds, [this.outputName]);
    const output = result[this.outputName]!;
    const [b, s, w] = output.dims;
    if (output.dims.length !== 3 || b !== batch.batch || s !== batch.seq || w !== expectedWidth || output.type !== "float32") {
      throw new MaxsimError(
        "MODEL_IO_MISMATCH",
        `The model's first output has shape [${output.dims.join(", ")}] (${output.type}) for a [${batch.batch}, ${batch.seq}] batch; expected float32 [${batch.batch}, ${batch.seq}, ${expectedWidth}]. Check that the ONNX file matches its config (embedding_dim, Dense in_features).`,
      );
    }
    return { data: output.data as Float32Array, width: w };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Non-negative small integers as int64 without a BigInt per element: write the low 32-bit word
 * through an Int32Array view (little-endian) and leave the high word zero.
 */
function toInt64(source: Int32Array | Uint8Array): BigInt64Array {
  const out = new BigInt64Array(source.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < source.length; i++) words[2 * i] = source[i]!;
  return out;
}
