/**
 * PyLate's tokenisation rules for ColBERT, on a transformers.js tokenizer. Follows
 * `ColBERT.preprocess`/`insert_prefix_token` in pylate/models/colbert.py and sentence-transformers'
 * `Transformer.tokenize`:
 * - strip the text and lower-case it when `do_lower_case`;
 * - tokenise to at most `length − 1` tokens when a prefix exists (`length` otherwise), keeping the
 *   post-processor's special tokens when truncating (transformers.js' own truncation drops them,
 *   so content is tokenised without specials, truncated on the tokenizer's `truncation_side`,
 *   and wrapped again);
 * - pad queries under expansion to that length, else to the batch's longest, with the expansion
 *   id (PyLate sets the tokenizer's pad id to the mask id, else EOS, else keeps pad), on the
 *   tokenizer's `padding_side`;
 * - insert the prefix id at position 1 with attention 1 (token type 0);
 * - attend to every query position when `attend_to_expansion_tokens`;
 * - keep every query position under expansion, attended positions otherwise, and attended
 *   non-skiplist positions of documents.
 */
import { AutoTokenizer, type PreTrainedTokenizer } from "@huggingface/transformers";
import { MaxsimError } from "../errors.js";
import type { ColbertConfig } from "../model/types.js";
import type { EncodeAs } from "../types.js";

/** One tokenised text before batching. */
export interface TokenizedText {
  /** Ids after truncation and specials, before padding and prefix insertion. */
  ids: number[];
}

/** A padded batch ready for the ONNX session. */
export interface TokenizedBatch {
  batch: number;
  seq: number;
  /** `batch × seq` row-major. */
  inputIds: Int32Array;
  attentionMask: Uint8Array;
  tokenTypeIds: Uint8Array;
  /** `batch × seq`: 1 where the position's vector is returned. */
  keep: Uint8Array;
}

interface RawTokenizer {
  id_to_token(id: number): string | undefined;
  token_to_id(token: string): number | undefined;
}

/** The resolved tokenisation plan of one model. */
export class ColbertTokenizer {
  /** Special ids the post-processor puts before / after the content of a single text. */
  readonly lead: number[];
  readonly trail: number[];
  readonly expansionId: number;
  /**
   * Id that fills document padding: the model's pad id when its config names one, else the
   * expansion id (what PyLate pads with). Padding is unattended, so for attention models the id
   * does not matter; for LFM2.5's centred convolution it does, because the graph zeroes only
   * positions that are unattended *and* hold the pad id (expansion tokens must reach the conv),
   * and a document's vectors must not depend on what else is in its batch.
   */
  readonly documentPadId: number;
  readonly paddingSide: "left" | "right";
  readonly skiplistIds: ReadonlySet<number>;
  readonly queryPrefixId: number | null;
  readonly documentPrefixId: number | null;
  /** `truncation_side: "left"` in tokenizer_config.json: drop tokens from the start instead. */
  readonly truncateLeft: boolean;

  private constructor(
    readonly tokenizer: PreTrainedTokenizer,
    readonly config: ColbertConfig,
  ) {
    [this.lead, this.trail] = specialsTemplate(tokenizer);
    this.expansionId = expansionTokenId(tokenizer, config);
    this.documentPadId = config.padTokenId ?? this.expansionId;
    this.paddingSide = (tokenizer as unknown as { padding_side?: string }).padding_side === "left" ? "left" : "right";
    this.truncateLeft = (tokenizer as unknown as { config: Record<string, unknown> }).config.truncation_side === "left";
    this.queryPrefixId = resolvePrefixId(tokenizer, config.queryPrefix, config.queryPrefixId, "query");
    this.documentPrefixId = resolvePrefixId(tokenizer, config.documentPrefix, config.documentPrefixId, "document");
    this.skiplistIds = new Set(config.skiplistWords.map((w) => convertTokenToId(tokenizer, w)).filter((id): id is number => id !== null));
  }

  /**
   * Loads `tokenizer.json` + `tokenizer_config.json` from `dir` (offline).
   * @throws MaxsimError `CONFIG_MISSING` when the tokenizer files are absent or unreadable.
   */
  static async load(dir: string, config: ColbertConfig): Promise<ColbertTokenizer> {
    let tokenizer: PreTrainedTokenizer;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    } catch (cause) {
      throw new MaxsimError(
        "CONFIG_MISSING",
        `Cannot load the tokenizer from ${dir} (tokenizer.json and tokenizer_config.json are needed). Re-download or re-export the model.`,
        { cause },
      );
    }
    return new ColbertTokenizer(tokenizer, config);
  }

  /** The readable token of `id` (`""` for unknown ids). */
  idToToken(id: number): string {
    return raw(this.tokenizer).id_to_token(id) ?? "";
  }

  /** Maximum tokens before the prefix is inserted. */
  maxLength(as: EncodeAs): number {
    const length = as === "query" ? this.config.queryLength : this.config.documentLength;
    return this.prefixId(as) === null ? length : length - 1;
  }

  prefixId(as: EncodeAs): number | null {
    return as === "query" ? this.queryPrefixId : this.documentPrefixId;
  }

  /** The content ids of one text (lower-case, strip), without specials and untruncated. */
  contentIds(text: string): number[] {
    const prepared = this.config.doLowerCase ? text.trim().toLowerCase() : text.trim();
    return this.tokenizer.encode(prepared, { add_special_tokens: false });
  }

  /** Tokenises one text (lower-case, strip, truncate keeping specials). */
  tokenize(text: string, as: EncodeAs): TokenizedText {
    const content = this.contentIds(text);
    const room = Math.max(0, this.maxLength(as) - this.lead.length - this.trail.length);
    const kept = content.length <= room ? content : this.truncateLeft ? content.slice(content.length - room) : content.slice(0, room);
    return { ids: [...this.lead, ...kept, ...this.trail] };
  }

  /** Pads, inserts the prefix and computes attention and kept positions for a batch. */
  buildBatch(texts: TokenizedText[], as: EncodeAs): TokenizedBatch {
    const expand = as === "query" && this.config.doQueryExpansion;
    const prefix = this.prefixId(as);
    let padTo = expand ? this.maxLength(as) : 0;
    if (!expand) for (const t of texts) padTo = Math.max(padTo, t.ids.length);
    const seq = padTo + (prefix === null ? 0 : 1);
    const batch = texts.length;
    const inputIds = new Int32Array(batch * seq);
    const attentionMask = new Uint8Array(batch * seq);
    const tokenTypeIds = new Uint8Array(batch * seq);
    const keep = new Uint8Array(batch * seq);
    const ids: number[] = new Array<number>(padTo);
    const att: number[] = new Array<number>(padTo);
    for (let b = 0; b < batch; b++) {
      const t = texts[b]!.ids;
      const pad = padTo - t.length;
      const offset = this.paddingSide === "left" ? pad : 0;
      ids.fill(as === "document" ? this.documentPadId : this.expansionId);
      att.fill(0);
      for (let i = 0; i < t.length; i++) {
        ids[offset + i] = t[i]!;
        att[offset + i] = 1;
      }
      // insert_prefix_token: position 0 stays, the prefix goes to position 1 with attention 1.
      const row = b * seq;
      let w = row;
      for (let i = 0; i < padTo; i++) {
        inputIds[w] = ids[i]!;
        attentionMask[w] = att[i]!;
        w++;
        if (i === 0 && prefix !== null) {
          inputIds[w] = prefix;
          attentionMask[w] = 1;
          w++;
        }
      }
      if (padTo === 0 && prefix !== null) {
        inputIds[w] = prefix;
        attentionMask[w] = 1;
      }
      for (let i = row; i < row + seq; i++) {
        const attended = attentionMask[i] === 1;
        if (as === "query") keep[i] = expand || attended ? 1 : 0;
        else keep[i] = attended && !this.skiplistIds.has(inputIds[i]!) ? 1 : 0;
      }
      if (as === "query" && this.config.attendToExpansionTokens) attentionMask.fill(1, row, row + seq);
    }
    return { batch, seq, inputIds, attentionMask, tokenTypeIds, keep };
  }
}

function raw(tokenizer: PreTrainedTokenizer): RawTokenizer {
  return (tokenizer as unknown as { _tokenizer: RawTokenizer })._tokenizer;
}

/**
 * HF's `convert_tokens_to_ids`: the token's id, else the unknown token's id (which is what
 * PyLate's skiplist then holds for a word missing from the vocabulary), else `null`.
 */
function convertTokenToId(tokenizer: PreTrainedTokenizer, token: string): number | null {
  const id = raw(tokenizer).token_to_id(token);
  if (id !== undefined) return id;
  const unk = (tokenizer as unknown as { unk_token_id?: number }).unk_token_id;
  return unk ?? null;
}

function resolvePrefixId(tokenizer: PreTrainedTokenizer, prefix: string, configured: number | null, as: EncodeAs): number | null {
  if (prefix === "") return null;
  if (configured !== null) return configured;
  const id = raw(tokenizer).token_to_id(prefix);
  if (id === undefined) {
    throw new MaxsimError(
      "CONFIG_INVALID",
      `The ${as} prefix ${JSON.stringify(prefix)} is not a token of the tokenizer, so it has no id. Save the model with PyLate (it adds the prefix tokens) or set the ${as}_prefix_id.`,
    );
  }
  return id;
}

/** PyLate's expansion id: the mask token, else EOS, else the pad token. */
function expansionTokenId(tokenizer: PreTrainedTokenizer, config: ColbertConfig): number {
  const t = tokenizer as unknown as { mask_token_id?: number; eos_token_id?: number; config: Record<string, unknown> };
  if (t.mask_token_id !== undefined && t.mask_token_id !== null) return t.mask_token_id;
  if (t.eos_token_id !== undefined && t.eos_token_id !== null) return t.eos_token_id;
  const padToken = tokenToString(t.config.pad_token);
  const pad = padToken === null ? undefined : raw(tokenizer).token_to_id(padToken);
  if (pad !== undefined) return pad;
  if (config.padTokenId !== null) return config.padTokenId;
  throw new MaxsimError(
    "CONFIG_INVALID",
    "The tokenizer has no mask, EOS or pad token, so queries cannot be expanded or batches padded. Set mask_token, eos_token or pad_token in tokenizer_config.json.",
  );
}

function tokenToString(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { content?: unknown }).content === "string")
    return (value as { content: string }).content;
  return null;
}

/**
 * Which special ids a single text gets before and after its content: encode a probe with and
 * without special tokens and locate the content inside the result.
 */
function specialsTemplate(tokenizer: PreTrainedTokenizer): [number[], number[]] {
  for (const probe of ["hello world", "a", "x"]) {
    const withSpecials = tokenizer.encode(probe, { add_special_tokens: true });
    const content = tokenizer.encode(probe, { add_special_tokens: false });
    if (content.length === 0) continue;
    for (let i = 0; i + content.length <= withSpecials.length; i++) {
      let match = true;
      for (let j = 0; j < content.length; j++) {
        if (withSpecials[i + j] !== content[j]) {
          match = false;
          break;
        }
      }
      if (match) return [withSpecials.slice(0, i), withSpecials.slice(i + content.length)];
    }
  }
  return [[], []];
}
