/**
 * Creating and opening a collection: option checks, loading the model, creating or opening the
 * index with the collection's manifest record, and refusing a model other than the stored one
 * (`MODEL_MISMATCH`). Produces the parts {@link Collection} wraps.
 */
import { MaxsimError } from "../errors.js";
import { ColBERT } from "../encoder/colbert.js";
import { checkPooling } from "../encoder/token-pooling.js";
import type { ColBERTOptions, Encoder } from "../encoder/types.js";
import { MaxSimIndex } from "../index/maxsim-index.js";
import type { MaxSimIndexOptions } from "../index/maxsim-index.js";
import type { IndexCodec } from "../index/types.js";
import { validate } from "../validation/parse.js";
import { collectionOptionsSchema, dirSchema, openCollectionOptionsSchema } from "../validation/schemas.js";
import { META_KEY, metaOf, readMeta } from "./collection-meta.js";
import { type CollectionCore, payloadProblem } from "./collection-documents.js";

/** Options of {@link Collection.create}. */
export interface CollectionOptions {
  /** A model id or directory (loaded with `ColBERT.fromPretrained`) or a loaded {@link Encoder}. */
  model: string | Encoder;
  /** Options for loading `model` when it is a string. */
  modelOptions?: ColBERTOptions;
  /** Vector codec of the index. @defaultValue the index's default (`"float32"`) */
  codec?: IndexCodec;
  /**
   * Index tuning passed to {@link MaxSimIndex.create} (training threshold, centroids, seed,
   * `autoRetrain`, `diskTier`: with `{ codec: "residual-2", indexOptions: { diskTier: "float16" } }`
   * memory holds the residual codes and float16 rows stay on disk for exact rescoring). By default an `addDocuments`/`upsertDocuments` call that doubles the tokens
   * the centroids were trained on retrains them once, after its last batch, so recall holds as the
   * collection grows; pass `{ autoRetrain: false }` to retrain only on `collection.index.compact()`.
   */
  indexOptions?: Omit<MaxSimIndexOptions, "dim" | "codec" | "meta">;
  /**
   * Pool each document's token vectors (PyLate's hierarchical pooling, see `poolTokens`): about
   * one stored vector per `poolFactor` tokens, the first token kept. Factor 2 about halves the
   * index; queries are not pooled. Recorded in the manifest, so every later add (after
   * `Collection.open` too) pools the same way. Explanations of a pooled collection score the
   * unpooled tokens of the document (a pooled row stands for several tokens).
   * @defaultValue 1 (no pooling)
   */
  poolFactor?: number;
}

/** Options of {@link Collection.open}. */
export interface OpenCollectionOptions {
  /**
   * The model: omitted, the stored model id is loaded; given, it must be the stored model.
   */
  model?: string | Encoder;
  /** Options for loading the model when it is a string or omitted. */
  modelOptions?: ColBERTOptions;
  /**
   * Open without the writer lock (searching while another process writes); writes then fail.
   * @defaultValue `false`
   */
  readOnly?: boolean;
}

/** An opened collection's parts, and whether it loaded (and so disposes) its encoder. */
export interface OpenedCollection extends CollectionCore {
  readonly ownsEncoder: boolean;
}

async function loadEncoder(model: string | Encoder, options: ColBERTOptions | undefined): Promise<{ encoder: Encoder; owned: boolean }> {
  if (typeof model !== "string") return { encoder: model, owned: false };
  return { encoder: await ColBERT.fromPretrained(model, options), owned: true };
}

/** The parts of a new collection in `dir` (or in memory for `null`), see {@link Collection.create}. */
export async function createCollection(dir: string | null, options: CollectionOptions): Promise<OpenedCollection> {
  if (dir !== null) {
    validate(dirSchema, dir, {
      where: "Collection.create",
      name: "dir",
      code: "INVALID_INPUT",
      fix: "Pass a directory path, or null for an in-memory collection.",
    });
  }
  validate(collectionOptionsSchema, options, {
    where: "Collection.create",
    name: "options",
    code: "INVALID_OPTION",
    fix: 'Pass { model: "<hub id or directory>" | encoder, codec?, modelOptions?, indexOptions?, poolFactor? }.',
  });
  checkPooling(options.poolFactor ?? 1, 1);
  const { encoder, owned } = await loadEncoder(options.model, options.modelOptions);
  try {
    const collectionMeta = metaOf(encoder, options.poolFactor ?? 1);
    const meta = { [META_KEY]: collectionMeta };
    const index =
      dir === null
        ? MaxSimIndex.inMemory({ ...options.indexOptions, dim: encoder.dim, codec: options.codec, meta })
        : await MaxSimIndex.create(dir, { ...options.indexOptions, dim: encoder.dim, codec: options.codec, meta });
    return { index, encoder, ownsEncoder: owned, pooling: collectionMeta.pooling ?? null };
  } catch (error) {
    if (owned) await (encoder as ColBERT).dispose();
    throw error;
  }
}

/** The parts of the collection in `dir`, see {@link Collection.open}. */
export async function openCollection(dir: string, options: OpenCollectionOptions): Promise<OpenedCollection> {
  validate(dirSchema, dir, { where: "Collection.open", name: "dir", code: "INVALID_INPUT", fix: "Pass the collection's directory." });
  validate(openCollectionOptionsSchema, options, {
    where: "Collection.open",
    name: "options",
    code: "INVALID_OPTION",
    fix: "Pass { model?, modelOptions?, readOnly? } or omit it.",
  });
  let index: MaxSimIndex;
  try {
    index = await MaxSimIndex.open(dir, { readOnly: options.readOnly ?? false, checkPayload: payloadProblem });
  } catch (error) {
    if (MaxsimError.isInstance(error) && error.code === "INDEX_NOT_FOUND") {
      throw new MaxsimError(
        "INDEX_NOT_FOUND",
        `No collection in ${dir}. Check the path, or create one with \`maxsim index ${dir} --model <id|dir> <files>\` or Collection.create.`,
        { cause: error },
      );
    }
    throw error;
  }
  let loaded: { encoder: Encoder; owned: boolean } | undefined;
  try {
    const meta = readMeta(index.meta[META_KEY], dir);
    loaded = await loadEncoder(options.model ?? meta.model.id, options.modelOptions);
    const { encoder } = loaded;
    if (encoder.modelId !== meta.model.id || encoder.dim !== meta.model.dim) {
      throw new MaxsimError(
        "MODEL_MISMATCH",
        `The collection in ${dir} was built with model ${meta.model.id} (dim ${meta.model.dim}) but was opened with ${encoder.modelId} (dim ${encoder.dim}). Open it without a model (or with ${meta.model.id}), or build a new collection for the other model.`,
      );
    }
    return { index, encoder, ownsEncoder: loaded.owned, pooling: meta.pooling ?? null };
  } catch (error) {
    if (loaded?.owned) await (loaded.encoder as ColBERT).dispose();
    await index.close();
    throw error;
  }
}
