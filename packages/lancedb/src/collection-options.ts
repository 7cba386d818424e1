/**
 * Option checks and connection set-up of {@link LanceCollection}: model loading, vector type,
 * pooling factor, `k`, the LanceDB connection, and the validation of documents to write.
 */
import { randomUUID } from "node:crypto";
import { connect } from "@lancedb/lancedb";
import type { Connection } from "@lancedb/lancedb";
import { ColBERT, MaxsimError } from "@maxsim/core";
import type { CollectionOptions, DocumentInput, Encoder, Metadata } from "@maxsim/core";
import type { LanceCollectionOptions, LanceConnectOptions } from "./lance-collection.js";
import type { LanceVectorType } from "./table-schema.js";

export const DEFAULT_TABLE = "documents";

export async function loadEncoder(model: string | Encoder, options: CollectionOptions["modelOptions"]): Promise<{ encoder: Encoder; owned: boolean }> {
  if (typeof model !== "string") return { encoder: model, owned: false };
  return { encoder: await ColBERT.fromPretrained(model, options), owned: true };
}

export function vectorTypeOf(options: LanceCollectionOptions): LanceVectorType {
  const t = options.vectorType ?? options.codec ?? "float32";
  if (t !== "float32" && t !== "float16") {
    throw new MaxsimError(
      "INVALID_OPTION",
      `A LanceDB collection stores vectors as "float32" or "float16", not ${JSON.stringify(t)}. Pass vectorType "float32" or "float16" (residual codecs are for core's own index).`,
    );
  }
  return t;
}

export function checkPoolFactor(f: unknown): number {
  if (typeof f !== "number" || !Number.isInteger(f) || f < 1) {
    throw new MaxsimError("INVALID_OPTION", `poolFactor must be a positive integer (1 = no pooling, 2 halves the document vectors), got ${String(f)}.`);
  }
  return f;
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new MaxsimError("INVALID_OPTION", `k must be a non-negative integer, got ${String(k)}. Pass e.g. { k: 10 }.`);
}

export async function connectTo(uri: string | null, options: LanceConnectOptions): Promise<Connection> {
  if (uri === null || uri === "") {
    throw new MaxsimError("INVALID_OPTION", "A LanceDB collection needs a location: pass a directory or a URI (./docs, s3://bucket/docs, gs://…, az://…).");
  }
  return connect(uri, { storageOptions: options.storageOptions, readConsistencyInterval: options.readConsistencyInterval ?? 0 });
}

/** Validates documents of one write call (ids generated when absent, metadata deep-copied as JSON). */
export function prepareDocuments(docs: readonly DocumentInput[]): { id: string; text: string; metadata: Metadata }[] {
  const seen = new Set<string>();
  return docs.map((d, i) => {
    if (typeof d?.text !== "string") throw new MaxsimError("INVALID_INPUT", `Document ${i} has no string text. Pass { id?, text, metadata? }.`);
    if (d.metadata !== undefined && (typeof d.metadata !== "object" || d.metadata === null || Array.isArray(d.metadata))) {
      throw new MaxsimError("INVALID_INPUT", `Document ${i} has metadata that is not an object. Pass a plain object of JSON values.`);
    }
    const id = d.id ?? randomUUID();
    if (typeof id !== "string" || id.length === 0)
      throw new MaxsimError("INVALID_ID", `Document ${i} has an empty or non-string id. Use a non-empty string or omit it.`);
    if (seen.has(id)) throw new MaxsimError("DUPLICATE_ID", `The id ${JSON.stringify(id)} appears twice in one call. Give every document its own id.`);
    seen.add(id);
    return { id, text: d.text, metadata: JSON.parse(JSON.stringify(d.metadata ?? {})) as Metadata };
  });
}
