// Damage that keeps every checksum valid (the file was rewritten through the store, or by a buggy
// tool): for every codec, each class below gives IndexCorruptError naming the file, or the very
// same answers as the undamaged index on 18 probe queries — never different answers without an
// error (before: up to 18 of 18 probes answered differently).
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { IndexCorruptError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { syntheticCorpus } from "../../src/index/synthetic.js";
import type { IndexCodec, SearchHit } from "../../src/index/types.js";
import { IndexStore } from "../../src/storage/index.js";
import type { ColumnArray } from "../../src/storage/segment.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-value-corruption-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const CODECS: IndexCodec[] = ["float32", "float16", "residual-2", "residual-4"];
const corpus = syntheticCorpus({ docs: 80, dim: 16, docLength: [5, 9], concepts: 24, seed: 3 });
const probes = corpus.queries(18, 4, 11);
const baseline = new Map<IndexCodec, SearchHit[][]>();
const tally = { typed: 0, identical: 0 };
afterAll(() => {
  console.log(
    `value corruption: ${CODECS.length} codecs × ${Object.keys(DAMAGE).length} damage classes × reader/writer: ${tally.typed} IndexCorruptError, ${tally.identical} identical answers`,
  );
});

async function answers(index: MaxSimIndex): Promise<SearchHit[][]> {
  return Promise.all(probes.map((q) => index.search(q, { k: 5 })));
}

beforeAll(async () => {
  for (const codec of CODECS) {
    const dir = join(root, `pristine-${codec}`);
    const index = await MaxSimIndex.create(dir, { dim: 16, codec, minTrainTokens: 200, centroids: 16 });
    const items = corpus.ids.map((id, i) => ({ id, embeddings: corpus.doc(i), payload: { n: i } }));
    await index.add(items.slice(0, 40)); // trains (≥ 200 tokens)
    await index.add(items.slice(40));
    expect(index.trained).toBe(true);
    baseline.set(codec, await answers(index));
    await index.close();
  }
});

/** A NaN vector column in the codec's stored form. */
function nanColumn(like: ColumnArray | undefined, length: number): ColumnArray {
  return like instanceof Uint16Array ? new Uint16Array(length).fill(0x7e00) : new Float32Array(length).fill(Number.NaN);
}

type Damage = (store: IndexStore, codec: IndexCodec) => Promise<void>;

const DAMAGE: Record<string, Damage> = {
  "a float column full of NaN": async (store) => {
    const first = await store.readSegment(store.manifest.segments[0]!.name);
    const tokens = (first.columns["offsets"] as Int32Array)[first.ids.length]!;
    const columns = { ...first.columns, vectors: nanColumn(first.columns["vectors"], tokens * 16) };
    await store.commit({
      addSegments: [{ ids: first.ids.map((id) => `nan-${id}`), columns, payloads: first.payloads ? [...first.payloads] : undefined }],
      meta: store.manifest.meta,
    });
  },
  "NaN centroids": async (store) => {
    const blob = await store.readBlob("centroids.f32");
    await store.commit({ blobs: { "centroids.f32": new Uint8Array(new Float32Array(blob!.length / 4).fill(Number.NaN).buffer) }, meta: store.manifest.meta });
  },
  "a duplicate id across two segments": async (store) => {
    const first = await store.readSegment(store.manifest.segments[0]!.name);
    await store.commit({
      addSegments: [{ ids: [...first.ids], columns: { ...first.columns }, payloads: first.payloads ? [...first.payloads] : undefined }],
      meta: store.manifest.meta,
    });
  },
  "the codec field of the state changed": async (store, codec) => {
    const state = store.manifest.meta["maxsimIndex"] as Record<string, unknown>;
    const other = codec === "float32" ? "float16" : "float32";
    await store.commit({ meta: { ...store.manifest.meta, maxsimIndex: { ...state, codec: other } } });
  },
  "state numbers that are not numbers": async (store) => {
    const state = store.manifest.meta["maxsimIndex"] as Record<string, unknown>;
    await store.commit({ meta: { ...store.manifest.meta, maxsimIndex: { ...state, trainedTokens: "many" } } });
  },
};

describe("value damage with valid checksums", () => {
  for (const codec of CODECS) {
    for (const [name, damage] of Object.entries(DAMAGE)) {
      it(`${codec}: ${name} → IndexCorruptError or identical answers`, async () => {
        const dir = join(root, `${codec}-${name.replace(/\W+/g, "-")}`);
        await cp(join(root, `pristine-${codec}`), dir, { recursive: true });
        const store = await IndexStore.open(dir);
        await damage(store, codec);
        await store.close();
        for (const readOnly of [true, false]) {
          const opened = await MaxSimIndex.open(dir, { readOnly }).then(
            (index) => index,
            (error: unknown) => error,
          );
          if (opened instanceof MaxSimIndex) {
            expect(await answers(opened)).toEqual(baseline.get(codec));
            await opened.close();
            tally.identical++;
          } else {
            expect(IndexCorruptError.isInstance(opened), String(opened)).toBe(true);
            expect((opened as IndexCorruptError).file).toMatch(/^(seg-|blob-|manifest-)/);
            tally.typed++;
          }
        }
      });
    }
  }
});

describe("collection payload damage with valid checksums", () => {
  it("a payload whose text is not a string (or metadata not an object) → IndexCorruptError at open, and at refresh", async () => {
    const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
    for (const payload of [{ text: 42, metadata: {} }, { text: "x", metadata: [1] }, "just a string"]) {
      const dir = join(root, `payload-${JSON.stringify(payload).replace(/\W+/g, "-")}`);
      const c = await Collection.create(dir, { model: encoder });
      await c.addDocuments([{ id: "a", text: "Le chat dort.", metadata: { lang: "fr" } }]);
      const reader = await Collection.open(dir, { readOnly: true, model: encoder });
      await c.close();
      const store = await IndexStore.open(dir);
      const first = await store.readSegment(store.manifest.segments[0]!.name);
      await store.commit({ addSegments: [{ ids: ["b"], columns: { ...first.columns }, payloads: [payload] }], meta: store.manifest.meta });
      await store.close();
      const error = await Collection.open(dir, { model: encoder }).catch((e: unknown) => e);
      expect(IndexCorruptError.isInstance(error), String(error)).toBe(true);
      expect(String((error as Error).message)).toContain("payload");
      const refreshError = await reader.refresh().catch((e: unknown) => e);
      expect(IndexCorruptError.isInstance(refreshError), String(refreshError)).toBe(true);
      expect(reader.size).toBe(1); // the old snapshot stays served
      await reader.close();
    }
    await encoder.dispose();
  });
});
