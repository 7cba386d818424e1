/**
 * The encoder of a framework wrapper's reranker (`@maxsim/langchain`, `@maxsim/llamaindex`): one
 * the caller passed in, or a model loaded on first use, and which of them the wrapper must
 * release. Both wrappers hold exactly this state; it lives here so its loading rules (one load
 * shared by concurrent first calls, a failed load retried by the next call) cannot drift apart.
 */
import { ColBERT } from "../encoder/colbert.js";
import type { ColBERTOptions, Encoder } from "../encoder/types.js";
import { MaxsimError } from "../errors.js";
import { checkRerankerFields } from "../validation/wrapper-fields.js";

/** Where a {@link LazyEncoder} gets its encoder: the reranker's own constructor fields. */
export interface LazyEncoderFields {
  /** A loaded encoder, used as is and never released. */
  encoder?: Encoder;
  /** Instead of `encoder`: a hub id or model directory, loaded by the first {@link LazyEncoder.load}. */
  model?: string;
  /** Loading options of `model`. */
  modelOptions?: ColBERTOptions;
}

/** Names a {@link LazyEncoder} puts in its error messages. */
export interface LazyEncoderNames {
  /** The class the fields were given to, e.g. `"MaxSimReranker"`. */
  owner: string;
  /** The method that loads the model on first use, e.g. `"compressDocuments"`. */
  firstUse: string;
}

/**
 * An encoder given up front or loaded once on first use. Concurrent first {@link LazyEncoder.load}
 * calls share one load; a load that fails is not remembered, so the next call tries again (a
 * model directory that appears later, a hub that comes back online). {@link LazyEncoder.close}
 * releases only an encoder this object loaded or was handed with {@link LazyEncoder.adopt}.
 *
 * @example
 * ```ts
 * import { LazyEncoder } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * const lazy = new LazyEncoder({ model: (await ensureFixtures()).multilingual }, { owner: "MyReranker", firstUse: "rank" });
 * const [a, b] = await Promise.all([lazy.load(), lazy.load()]);
 * console.log(a === b, lazy.encoder === a, a.dim > 0); // true true true
 * await lazy.close(); // disposes the model it loaded
 * ```
 */
export class LazyEncoder {
  #encoder: Encoder | undefined;
  /** The model to load on first use (`{ model }`). */
  readonly #model: { id: string; options: ColBERTOptions | undefined } | undefined;
  readonly #names: LazyEncoderNames;
  #loading: Promise<Encoder> | undefined;
  /** The encoder this object must release: loaded from `model`, or adopted. */
  #owned: ColBERT | undefined;

  /**
   * @param fields - `encoder`, or `model` (and `modelOptions`) to load on first use
   * @param names - the owner class and its first-use method, for error messages
   * @throws MaxsimError `INVALID_OPTION` without a valid encoder or model (naming `<owner>.fromPretrained`)
   */
  constructor(fields: LazyEncoderFields, names: LazyEncoderNames) {
    const source = checkRerankerFields(names.owner, fields);
    this.#names = names;
    this.#encoder = source.kind === "encoder" ? fields.encoder : undefined;
    this.#model = source.kind === "model" ? { id: source.model, options: fields.modelOptions } : undefined;
  }

  /**
   * The encoder, once given or loaded.
   *
   * @throws MaxsimError `INVALID_OPTION` while a `{ model }` encoder has not been loaded yet (naming `load()` and the first-use method)
   */
  get encoder(): Encoder {
    if (this.#encoder === undefined) {
      throw new MaxsimError(
        "INVALID_OPTION",
        `The reranker loads ${this.#model?.id ?? "its model"} on first use. Call await reranker.load() (or ${this.#names.firstUse}) before reading reranker.encoder.`,
      );
    }
    return this.#encoder;
  }

  /**
   * The encoder, loading `model` on the first call; calls made while it loads share that load.
   *
   * @throws MaxsimError from `ColBERT.fromPretrained` (`MODEL_NOT_FOUND`, `HUB_OFFLINE`, …); the next call loads again
   */
  async load(): Promise<Encoder> {
    if (this.#encoder !== undefined) return this.#encoder;
    this.#loading ??= ColBERT.fromPretrained(this.#model!.id, this.#model!.options).then(
      (encoder) => {
        this.#encoder = this.#owned = encoder;
        return encoder;
      },
      (error: unknown) => {
        // Forget the failure: caching it would make one offline moment permanent.
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }

  /**
   * A wrapper's `fromPretrained`: loads `model`, builds the owner with `make(encoder)`, and makes
   * the owner's {@link LazyEncoder} (`sourceOf(owner)`) release that encoder at close. When
   * `make` throws (invalid options), the encoder loaded for it is disposed before the error
   * propagates.
   *
   * @example
   * ```ts
   * import { LazyEncoder } from "@maxsim/core";
   * import { ensureFixtures } from "@maxsim/core/fixtures";
   * const owner = await LazyEncoder.loadFor((await ensureFixtures()).multilingual, undefined, (encoder) => ({
   *   source: new LazyEncoder({ encoder }, { owner: "MyReranker", firstUse: "rank" }),
   * }), (o) => o.source);
   * console.log(owner.source.encoder.dim > 0); // true
   * await owner.source.close(); // disposes the model loaded for it
   * ```
   */
  static async loadFor<T>(model: string, options: ColBERTOptions | undefined, make: (encoder: ColBERT) => T, sourceOf: (owner: T) => LazyEncoder): Promise<T> {
    const encoder = await ColBERT.fromPretrained(model, options);
    let owner: T;
    try {
      owner = make(encoder);
    } catch (error) {
      await encoder.dispose(); // the options were invalid: the session loaded for them is nobody's
      throw error;
    }
    sourceOf(owner).adopt(encoder);
    return owner;
  }

  /**
   * Takes ownership of `encoder`, the one given as `fields.encoder` but loaded for this object
   * (a wrapper's `fromPretrained`), so {@link LazyEncoder.close} releases it.
   */
  adopt(encoder: ColBERT): void {
    this.#owned = encoder;
  }

  /**
   * Releases the encoder this object loaded or adopted (after a load in flight settles); an
   * encoder passed in stays the caller's. A `{ model }` encoder is loaded again by the next
   * {@link LazyEncoder.load}.
   */
  async close(): Promise<void> {
    await this.#loading?.catch(() => undefined);
    await this.#owned?.dispose();
    if (this.#owned !== undefined && this.#model !== undefined) this.#encoder = undefined;
    this.#owned = undefined;
    this.#loading = undefined;
  }
}
