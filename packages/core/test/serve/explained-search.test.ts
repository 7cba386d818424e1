/**
 * `POST /search` with `explain: true` and `POST /explain` over a real HTTP server, a real
 * collection on disk and the multilingual fixture model. The encoder's `encodeQueries` is
 * observed (it still runs the real model) to count query encodings and, in the race tests, to
 * land a write at the exact moment a query encoding finishes: the point between a search and
 * an explanation computed later.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import type { Encoder } from "../../src/encoder/types.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { startServer } from "../../src/serve/server.js";
import type { RunningServer } from "../../src/serve/server.js";

const DOCS = [
  { id: "fr-chat", text: "Le chat dort sur le canapé.", metadata: { lang: "fr" } },
  { id: "de-hund", text: "Der Hund bellt laut im Garten.", metadata: { lang: "de" } },
  { id: "es-pan", text: "El pan está en la mesa de la cocina.", metadata: { lang: "es" } },
  { id: "en-river", text: "The water of the river is cold.", metadata: { lang: "en" } },
];

interface Match {
  queryIndex: number;
  queryToken: string;
  docIndex: number;
  docToken: string;
  score: number;
}

interface ExplainedHit {
  id: string;
  score: number;
  text: string;
  matches: Match[];
}

let tmp: string;
let model: string;
let running: RunningServer | undefined;
let n = 0;

async function serve(): Promise<RunningServer> {
  const dir = path.join(tmp, `c${n++}`);
  const c = await Collection.create(dir, { model });
  await c.addDocuments(DOCS);
  await c.close();
  running = await startServer({ dir, port: 0, log: () => {} });
  return running;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes, read field by field in each test
async function post(server: RunningServer, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Every text the server's encoder was asked to encode as a query, in call order. */
function countQueryEncodes(encoder: Encoder): { texts: () => string[]; calls: () => number } {
  const spy = vi.spyOn(encoder, "encodeQueries");
  return { texts: () => spy.mock.calls.flatMap((c) => c[0]), calls: () => spy.mock.calls.length };
}

/**
 * Starts `write` as soon as the first query encoding finishes, and makes every later query
 * encoding resolve only after that write committed; with `firstWaits`, the first encoding waits
 * for it too. So a write lands deterministically between a search and a route's later encoding
 * of the same query (to explain it), or (`firstWaits`) between an encoding and the read after it.
 */
function writeAfterFirstQueryEncode(encoder: Encoder, write: () => Promise<unknown>, firstWaits = false): Promise<unknown> {
  const real = encoder.encodeQueries.bind(encoder);
  let written: Promise<unknown> | undefined;
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  vi.spyOn(encoder, "encodeQueries").mockImplementation(async (texts, options) => {
    const out = await real(texts, options);
    if (written === undefined) {
      written = write();
      started();
      if (firstWaits) await written;
    } else await written;
    return out;
  });
  return begun.then(() => written);
}

/** How `query` matches `text` explained by an independent in-memory collection: the reference. */
async function reference(encoder: Encoder, query: string, id: string, text: string): Promise<Match[]> {
  const c = await Collection.create(null, { model: encoder });
  try {
    await c.addDocuments([{ id, text }]);
    return (await c.explain(query, id)).matches;
  } finally {
    await c.close();
  }
}

function expectSameMatches(actual: Match[], expected: Match[]): void {
  expect(actual.map((m) => [m.queryToken, m.docIndex, m.docToken])).toEqual(expected.map((m) => [m.queryToken, m.docIndex, m.docToken]));
  actual.forEach((m, i) => expect(m.score).toBeCloseTo(expected[i]!.score, 5));
}

beforeAll(async () => {
  model = (await ensureFixtures()).multilingual;
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-explained-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = undefined;
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("POST /search with explain: true", () => {
  it("encodes each query text once (for the search) and explains all k hits of every query from that encoding", async () => {
    const server = await serve();
    const encodes = countQueryEncodes(server.collection.encoder);
    const r = await post(server, "/search", { queries: ["cat", "dog"], k: 3, explain: true });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(2);
    for (const list of r.body.results as ExplainedHit[][]) {
      expect(list).toHaveLength(3);
      for (const hit of list) {
        expect(hit.matches.length).toBeGreaterThan(0);
        expect(hit.matches.reduce((a, m) => a + m.score, 0)).toBeCloseTo(hit.score, 4);
      }
    }
    expect(encodes.texts()).toEqual(["cat", "dog"]);
    expect(encodes.calls()).toBe(1);

    const one = await post(server, "/search", { query: "bread", k: 4, explain: true });
    expect(one.body.results).toHaveLength(4);
    expect(encodes.texts()).toEqual(["cat", "dog", "bread"]);
  });

  it("explains the version it scored although an upsert of that document commits right after the search's query encoding", async () => {
    const server = await serve();
    const newText = "El pan está en la mesa de la cocina.";
    const write = writeAfterFirstQueryEncode(server.collection.encoder, () =>
      server.collection.upsertDocuments([{ id: "de-hund", text: newText, metadata: { lang: "es" } }]),
    );
    const r = await post(server, "/search", { query: "dog", k: 4, exact: true, explain: true });
    await write;
    expect(r.status).toBe(200);
    const hit = (r.body.results as ExplainedHit[]).find((h) => h.id === "de-hund")!;
    // The write really landed ...
    expect((await server.collection.getDocuments(["de-hund"]))[0]!.text).toBe(newText);
    // ... and the explanation is of the text (and score) the search returned.
    expectSameMatches(hit.matches, await reference(server.collection.encoder, "dog", hit.id, hit.text));
    expect(hit.matches.reduce((a, m) => a + m.score, 0)).toBeCloseTo(hit.score, 4);
  });
});

describe("POST /explain", () => {
  it("encodes the query once for the matrix and the matches", async () => {
    const server = await serve();
    const encodes = countQueryEncodes(server.collection.encoder);
    const r = await post(server, "/explain", { query: "cat", id: "fr-chat" });
    expect(r.status).toBe(200);
    expect(encodes.texts()).toEqual(["cat"]);
  });

  it("takes the text, the matrix and the matches from one version when an upsert lands while the query is encoded", async () => {
    const server = await serve();
    const newText = "Der Hund bellt laut im Garten.";
    const write = writeAfterFirstQueryEncode(server.collection.encoder, () => server.collection.upsertDocuments([{ id: "fr-chat", text: newText }]), true);
    const r = await post(server, "/explain", { query: "dog", id: "fr-chat" });
    await write;
    expect(r.status).toBe(200);
    const { docTokens, matrix, matches } = r.body as { docTokens: string[]; matrix: number[][]; matches: Match[] };
    const stored = (await server.collection.getDocuments(["fr-chat"]))[0]!.text;
    expect(stored).toBe(newText);
    const expected = await reference(server.collection.encoder, "dog", "fr-chat", stored);
    expectSameMatches(matches, expected);
    expect(docTokens).toEqual(server.collection.encoder.tokenStrings(server.collection.encoder.outputTokenIds(stored, "document")));
    for (const m of matches) expect(Math.max(...matrix[m.queryIndex]!)).toBeCloseTo(m.score, 3);
  });

  it("answers 404 NOT_FOUND, not the deleted text's matrix, when the document is deleted while the query is encoded", async () => {
    const server = await serve();
    const write = writeAfterFirstQueryEncode(server.collection.encoder, () => server.collection.deleteDocuments(["fr-chat"]), true);
    const r = await post(server, "/explain", { query: "cat", id: "fr-chat" });
    await write;
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("NOT_FOUND");
  });
});
