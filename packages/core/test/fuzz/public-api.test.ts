// Property-based fuzzing of the public API (fast-check): generated bad and odd arguments for
// Collection create/open/add/upsert/delete/get/query/queryBatch/explain/findIds and MaxSimIndex
// add/upsert/delete/search/searchExact/setMeta. Each call must either return a documented result
// or reject with a MaxsimError of an expected code — never a TypeError/RangeError, a hang (the
// run is bounded in time) or a changed Object.prototype — and nothing may be written outside the
// sandbox's index directories. Seeded (MAXSIM_FUZZ_SEED overrides), bounded (MAXSIM_FUZZ_MS per
// target), and the counts are printed.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { MaxsimError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";

const SEED = Number(process.env["MAXSIM_FUZZ_SEED"] ?? 20261203);
const TIME_MS = Number(process.env["MAXSIM_FUZZ_MS"] ?? 1500);
const counts: Record<string, { runs: number; ok: number; typed: Record<string, number> }> = {};
const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

let encoder: ColBERT;
let sandbox: string;
let collection: Collection;
let index: MaxSimIndex;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  sandbox = await mkdtemp(join(tmpdir(), "maxsim-fuzz-"));
  collection = await Collection.create(join(sandbox, "collection"), { model: encoder });
  await collection.addDocuments([
    { id: "fr", text: "Le chat dort sur le canapé.", metadata: { lang: "fr", tags: ["pets"], n: 1, nested: { a: { b: 2 } } } },
    { id: "de", text: "Der Hund bellt laut.", metadata: { lang: "de", n: 2 } },
    { id: "es", text: "El pan está en la mesa.", metadata: { lang: "es", n: 3, tags: [] } },
  ]);
  index = await MaxSimIndex.create(join(sandbox, "index"), { dim: 4 });
  await index.add([{ id: "x", embeddings: { data: new Float32Array([1, 0, 0, 0]), length: 1, dim: 4 }, payload: { p: 1 } }]);
});

afterAll(async () => {
  console.log(`fuzz seed ${SEED}, ${TIME_MS} ms per target`);
  let total = 0;
  for (const [name, c] of Object.entries(counts)) {
    total += c.runs;
    console.log(`fuzz ${name}: ${c.runs} inputs, ${c.ok} documented results, typed errors ${JSON.stringify(c.typed)}`);
  }
  console.log(`fuzz total: ${total} generated inputs`);
  await collection.close();
  await index.close();
  await encoder.dispose();
  await rm(sandbox, { recursive: true, force: true });
});

/** Runs `call`; records a documented result or an expected MaxsimError code; anything else fails. */
async function expectTyped(target: string, allowed: readonly string[], call: () => unknown, check?: (result: unknown) => void): Promise<void> {
  const c = (counts[target] ??= { runs: 0, ok: 0, typed: {} });
  c.runs++;
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (!MaxsimError.isInstance(error)) throw new Error(`${target}: untyped ${String(error)}`, { cause: error });
    if (!allowed.includes(error.code)) throw new Error(`${target}: unexpected code ${error.code}: ${error.message}`, { cause: error });
    c.typed[error.code] = (c.typed[error.code] ?? 0) + 1;
    return;
  } finally {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_KEYS);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  }
  check?.(result);
  c.ok++;
}

/** Odd values of every kind (null prototypes, BigInt, Date, Map, Set, typed and sparse arrays, boxed values). */
const odd = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
});
const key = fc.oneof(
  fc.constantFrom("lang", "n", "tags", "nested.a.b", "__proto__", "constructor", "toString", "", "$and", "$or", "$eq", "$in", "a.b."),
  fc.string({ maxLength: 6 }),
);
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const operator = fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains", "$and", "$or", "$regex", "$gtt");
/** Filters: mostly well-formed trees with odd leaves and operators, nested up to 6 levels. */
const filter = fc.letrec<{ f: unknown }>((tie) => ({
  f: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.dictionary(key, scalar, { maxKeys: 3 }),
    fc.dictionary(key, fc.dictionary(operator, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), odd), { maxKeys: 2 }), { maxKeys: 2 }),
    fc.record({ $or: fc.array(tie("f"), { maxLength: 3 }) }),
    fc.record({ $and: fc.array(tie("f"), { maxLength: 3 }) }),
    odd,
  ),
})).f;
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("Le chat", "chien", "", " ", "\u0000", "🐈‍⬛", "a".repeat(2000)));
const metadata = fc.oneof(fc.dictionary(key, fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 4 }), odd);
const doc = fc.oneof(
  fc.record(
    { id: fc.option(fc.oneof(fc.string({ maxLength: 8 }), odd), { nil: undefined }), text, metadata: fc.option(metadata, { nil: undefined }) },
    { requiredKeys: ["text"] },
  ),
  odd,
);
const docs = fc.oneof(fc.array(doc, { maxLength: 4 }), odd, text);
const ids = fc.oneof(fc.array(fc.oneof(fc.constantFrom("fr", "de", "es", "gone"), fc.string({ maxLength: 6 })), { maxLength: 4 }), odd, text);
const queryOptions = fc.oneof(
  fc.record({ k: fc.oneof(fc.integer({ min: -2, max: 20 }), odd), filter, exact: fc.oneof(fc.boolean(), odd) }, { requiredKeys: [] }),
  odd,
);

const run = (target: string, arb: fc.Arbitrary<unknown>, property: (value: never) => Promise<void>) =>
  fc.assert(
    fc.asyncProperty(arb, (v) => property(v as never)),
    { seed: SEED + target.length, numRuns: 100_000, interruptAfterTimeLimit: TIME_MS, endOnFailure: true },
  );

const INPUT = ["INVALID_INPUT", "INVALID_OPTION", "INVALID_ID", "DUPLICATE_ID", "INVALID_FILTER", "EMPTY_INPUT", "NOT_FOUND"];

describe("fuzz: hostile arguments to the public API", () => {
  it("Collection.findIds / query / queryBatch with generated filters and options", async () => {
    await run("findIds", filter, async (f) =>
      expectTyped(
        "findIds",
        ["INVALID_FILTER"],
        () => collection.findIds(f),
        (r) => expect(Array.isArray(r)).toBe(true),
      ),
    );
    await run("query", fc.tuple(fc.oneof(text, odd), queryOptions), async ([q, o]: [unknown, unknown]) =>
      expectTyped(
        "query",
        INPUT,
        () => collection.query(q as string, o as never),
        (r) => {
          for (const hit of r as { id: string; text: string }[]) {
            expect(collection.has(hit.id)).toBe(true);
            expect(typeof hit.text).toBe("string");
          }
        },
      ),
    );
    await run("queryBatch", fc.tuple(fc.oneof(fc.array(text, { maxLength: 3 }), odd, text), queryOptions), async ([q, o]: [unknown, unknown]) =>
      expectTyped("queryBatch", INPUT, () => collection.queryBatch(q as string[], o as never)),
    );
  });

  it("Collection writes, deletes, reads and explain with generated documents and ids", async () => {
    const before = collection.size;
    await run(
      "addDocuments",
      fc.tuple(docs, fc.oneof(fc.constant(undefined), fc.record({ batchSize: fc.oneof(fc.integer({ min: -1, max: 3 }), odd) }), odd)),
      async ([d, o]: [unknown, unknown]) => {
        const sizeBefore = collection.size;
        await expectTyped(
          "addDocuments",
          INPUT,
          () => collection.addDocuments(d as never, o as never),
          (r) => expect(collection.size).toBe(sizeBefore + (r as string[]).length),
        );
        // A failing call commits nothing (validation happens before the first batch).
      },
    );
    await run("upsertDocuments", docs, async (d) => expectTyped("upsertDocuments", INPUT, () => collection.upsertDocuments(d)));
    await run("getDocuments", ids, async (i) => expectTyped("getDocuments", INPUT, () => collection.getDocuments(i)));
    await run("explain", fc.tuple(fc.oneof(text, odd), fc.oneof(fc.constantFrom("fr", "de", "nope"), odd)), async ([q, id]: [unknown, unknown]) =>
      expectTyped("explain", INPUT, () => collection.explain(q as string, id as string)),
    );
    await run("deleteDocuments", ids, async (i) => expectTyped("deleteDocuments", INPUT, () => collection.deleteDocuments(i)));
    expect(collection.size).toBeGreaterThanOrEqual(0);
    expect([...collection.ids()].length).toBe(collection.size);
    expect(before).toBe(3);
  });

  it("Collection.create / open with generated options, and MaxSimIndex ops", async () => {
    const model = fc.oneof(fc.integer(), fc.constant(null), fc.array(odd, { maxLength: 2 }), fc.object({ maxDepth: 1 }), fc.constant(encoder));
    let n = 0;
    await run(
      "Collection.create",
      fc.oneof(fc.record({ model, codec: fc.oneof(fc.constantFrom("float32", "float16", "residual-2", "int3"), odd) }, { requiredKeys: [] }), odd),
      async (o) =>
        expectTyped("Collection.create", [...INPUT, "INDEX_EXISTS"], async () => {
          const c = await Collection.create(join(sandbox, `created-${n++}`), o as never);
          await c.close();
        }),
    );
    await run(
      "Collection.open",
      fc.tuple(
        fc.oneof(fc.constantFrom(join(sandbox, "collection"), join(sandbox, "missing")), odd),
        fc.oneof(
          fc.constant(undefined),
          fc.record({ model: fc.constant(encoder), readOnly: fc.oneof(fc.constant(true), odd) }, { requiredKeys: ["model"] }),
          odd,
        ),
      ),
      async ([d, o]: [unknown, unknown]) =>
        expectTyped("Collection.open", [...INPUT, "INDEX_NOT_FOUND", "INDEX_LOCKED", "MODEL_NOT_FOUND"], async () => {
          const c = await Collection.open(d as string, o as never);
          await c.close();
        }),
    );
    const vectors = fc.oneof(
      fc.record({ data: fc.float32Array({ minLength: 0, maxLength: 12 }), length: fc.integer({ min: -1, max: 4 }), dim: fc.constantFrom(4, 3, 0) }),
      odd,
    );
    const items = fc.oneof(
      fc.array(fc.record({ id: fc.oneof(fc.string({ maxLength: 4 }), odd), embeddings: vectors, payload: fc.option(fc.jsonValue({ maxDepth: 2 })) }), {
        maxLength: 3,
      }),
      odd,
    );
    const vectorCodes = [...INPUT, "DIM_MISMATCH", "INVALID_VECTOR"];
    await run("MaxSimIndex.add", items, async (i) => expectTyped("MaxSimIndex.add", vectorCodes, () => index.add(i)));
    await run("MaxSimIndex.upsert", items, async (i) => expectTyped("MaxSimIndex.upsert", vectorCodes, () => index.upsert(i)));
    const searchOptions = fc.oneof(
      fc.record(
        {
          k: fc.oneof(fc.integer({ min: -1, max: 5 }), odd),
          filter: fc.oneof(
            fc.constant(new Set(["x"])),
            fc.constant((id: string) => id === "x"),
            odd,
          ),
          nprobe: fc.oneof(fc.integer({ min: 0, max: 9 }), odd),
        },
        { requiredKeys: ["k"] },
      ),
      odd,
    );
    await run("MaxSimIndex.search", fc.tuple(vectors, searchOptions), async ([q, o]: [unknown, unknown]) =>
      expectTyped("MaxSimIndex.search", vectorCodes, () => index.search(q as never, o as never)),
    );
    await run("MaxSimIndex.searchExact", fc.tuple(vectors, searchOptions), async ([q, o]: [unknown, unknown]) =>
      expectTyped("MaxSimIndex.searchExact", vectorCodes, () => index.searchExact(q as never, o as never)),
    );
    await run("MaxSimIndex.delete", ids, async (i) => expectTyped("MaxSimIndex.delete", INPUT, () => index.delete(i)));
    await run("MaxSimIndex.setMeta", fc.oneof(metadata, odd), async (m) => expectTyped("MaxSimIndex.setMeta", INPUT, () => index.setMeta(m)));
    // Still a valid index: reopening gives the same ids.
    const live = [...index.ids()];
    await index.close();
    index = await MaxSimIndex.open(join(sandbox, "index"));
    expect([...index.ids()]).toEqual(live);
  });

  it("wrote nothing outside the sandbox's index directories, and ran at least 1,000 inputs", async () => {
    const entries = (await readdir(sandbox)).sort();
    expect(entries.every((e) => e === "collection" || e === "index" || e.startsWith("created-"))).toBe(true);
    const total = Object.values(counts).reduce((s, c) => s + c.runs, 0);
    expect(total).toBeGreaterThanOrEqual(1000);
  });
});
