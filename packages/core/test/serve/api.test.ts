/**
 * `maxsim serve`'s JSON API over a real HTTP server on an ephemeral loopback port, backed by a
 * real collection on disk and the multilingual fixture model (translations share a vector, so
 * cross-lingual hits are exact and checkable).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { rerank } from "../../src/rank/rerank.js";
import { startServer } from "../../src/serve/server.js";
import type { RunningServer } from "../../src/serve/server.js";

const DOCS = [
  { id: "fr-chat", text: "Le chat dort sur le canapé.", metadata: { lang: "fr", topic: "animals" } },
  { id: "de-hund", text: "Der Hund bellt laut im Garten.", metadata: { lang: "de", topic: "animals" } },
  { id: "es-pan", text: "El pan está en la mesa de la cocina.", metadata: { lang: "es", topic: "food" } },
  { id: "en-river", text: "The water of the river is cold.", metadata: { lang: "en", topic: "nature" } },
];

let tmp: string;
let model: string;
const servers: RunningServer[] = [];

async function newCollection(name: string, docs = DOCS): Promise<string> {
  const dir = path.join(tmp, name);
  const c = await Collection.create(dir, { model });
  await c.addDocuments(docs);
  await c.close();
  return dir;
}

async function serve(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const s = await startServer({ port: 0, log: () => {}, ...options });
  servers.push(s);
  return s;
}

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test access to JSON bodies
  body: any;
}

async function call(server: RunningServer, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(server.url + route, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

beforeAll(async () => {
  model = (await ensureFixtures()).multilingual;
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-serve-"));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("maxsim serve API", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ dir: await newCollection("main") });
  });

  it("binds to loopback by default and answers /health without a token", async () => {
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
    expect(await call(server, "GET", "/health")).toEqual({ status: 200, body: { status: "ok", documents: 4 } });
  });

  it("searches across languages with highlights, per-token matches and the normalised score", async () => {
    const r = await call(server, "POST", "/search", { query: "dog", k: 2, explain: true });
    expect(r.status).toBe(200);
    const [top] = r.body.results;
    expect(top.id).toBe("de-hund");
    const [s, e] = top.highlights[0];
    expect(top.text.slice(s, e)).toBe("Hund");
    const dog = top.matches.find((m: { queryToken: string }) => m.queryToken === "dog");
    expect(dog.docToken).toBe("hund");
    // normalisedScore = MaxSim / query tokens (the fixture pads queries to 32 tokens).
    expect(top.normalizedScore).toBeCloseTo(top.score / 32, 12);
    expect(top.metadata).toEqual({ lang: "de", topic: "animals" });
  });

  it("searches several queries in one request, filters by metadata and scores exactly on request", async () => {
    const r = await call(server, "POST", "/search", { queries: ["cat", "bread"], k: 1, exact: true });
    expect(r.body.results.map((l: { id: string }[]) => l[0]!.id)).toEqual(["fr-chat", "es-pan"]);
    const f = await call(server, "POST", "/search", { query: "dog", k: 5, filter: { lang: { $in: ["es", "en"] } } });
    expect(f.body.results.map((h: { id: string }) => h.id).sort()).toEqual(["en-river", "es-pan"]);
    expect((await call(server, "POST", "/search", { query: "dog", k: 0 })).body.results).toEqual([]);
  });

  it("explains one hit with the full MaxSim matrix whose row maxima are the match scores", async () => {
    const r = await call(server, "POST", "/explain", { query: "cat", id: "fr-chat" });
    expect(r.status).toBe(200);
    const { queryTokens, docTokens, matrix, matches, score, docSpans, queryIsText, docIsText } = r.body;
    expect(matrix).toHaveLength(queryTokens.length);
    for (const row of matrix) expect(row).toHaveLength(docTokens.length);
    matches.forEach((m: { queryIndex: number; docIndex: number; score: number }) => {
      expect(Math.max(...matrix[m.queryIndex])).toBeCloseTo(m.score, 3);
      expect(matrix[m.queryIndex][m.docIndex]).toBeCloseTo(m.score, 3);
    });
    expect(score).toBeCloseTo(
      matches.reduce((a: number, m: { score: number }) => a + m.score, 0),
      6,
    );
    const cat = queryTokens.indexOf("cat");
    const best = matrix[cat].indexOf(Math.max(...matrix[cat]));
    expect(docTokens[best]).toBe("chat");
    expect(docSpans[best]).toEqual([3, 7]);
    expect(queryIsText[cat]).toBe(true);
    expect(queryIsText[0]).toBe(false); // [CLS]
    expect(docIsText[best]).toBe(true);
  });

  it("names a stored or repeated id whatever its text (no parsing of the core's message)", async () => {
    const s = await serve({ dir: await newCollection("dup-ids") });
    for (const id of ["said twice", "first. second"]) {
      expect((await call(s, "POST", "/documents", { documents: [{ id, text: "x" }] })).status).toBe(200);
      const dup = await call(s, "POST", "/documents", { documents: [{ id, text: "y" }] });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe("DUPLICATE_ID");
      expect(dup.body.error.message).toBe(`A document with id ${JSON.stringify(id)} already exists. Send "upsert": true to replace it, or DELETE it first.`);
    }
    const twice = await call(s, "POST", "/documents", {
      documents: [
        { id: "a", text: "x" },
        { id: "a", text: "y" },
      ],
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toBe('The id "a" appears twice in one request. Give every document its own id.');
  });

  it("caps explained hits per /search (queries × k) at maxExplainHits with a 400 naming the limit and the fix", async () => {
    const over = await call(server, "POST", "/search", { queries: Array(11).fill("cat"), k: 10, explain: true });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe("INVALID_INPUT");
    expect(over.body.error.message).toContain("at most 100 per request (maxExplainHits)");
    expect(over.body.error.message).toContain("Lower k or send fewer queries");
    expect((await call(server, "POST", "/search", { queries: Array(10).fill("cat"), k: 10, explain: true })).status).toBe(200);
    expect((await call(server, "POST", "/search", { queries: Array(11).fill("cat"), k: 10 })).status).toBe(200);
    const small = await serve({ dir: await newCollection("explain-cap"), limits: { maxExplainHits: 2 } });
    expect((await call(small, "POST", "/search", { query: "cat", k: 3, explain: true })).status).toBe(400);
    expect((await call(small, "GET", "/stats")).body.limits.maxExplainHits).toBe(2);
  });

  it("closes within closeTimeoutMs although a client stalls mid-body, and still commits acknowledged writes", async () => {
    const dir = await newCollection("stall");
    const s = await serve({ dir, closeTimeoutMs: 200 });
    expect((await call(s, "POST", "/documents", { documents: [{ id: "kept", text: "Il cane dorme." }] })).status).toBe(200);
    const socket = connect(s.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"documents":`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const outcome = await Promise.race([s.close().then(() => "closed"), new Promise((r) => setTimeout(() => r("hung"), 5000))]);
    expect(outcome).toBe("closed");
    expect(Date.now() - started).toBeLessThan(3000);
    socket.destroy();
    const c = await Collection.open(dir, { readOnly: true });
    expect((await c.getDocuments(["kept"]))[0]?.text).toBe("Il cane dorme.");
    await c.close();
  });

  it("adds, gets, upserts and deletes documents (by ids and by filter)", async () => {
    const add = await call(server, "POST", "/documents", {
      documents: [
        { id: "it-1", text: "Il cane dorme.", metadata: { lang: "it" } },
        { text: "Die Katze schläft.", metadata: { lang: "de" } },
      ],
    });
    expect(add.status).toBe(200);
    expect(add.body.ids[0]).toBe("it-1");
    expect(add.body.ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(add.body.size).toBe(6);
    expect((await call(server, "GET", "/documents/it-1")).body).toEqual({ id: "it-1", text: "Il cane dorme.", metadata: { lang: "it" } });

    const dup = await call(server, "POST", "/documents", { documents: [{ id: "it-1", text: "x" }] });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("DUPLICATE_ID");
    expect(dup.body.error.message).toContain('"upsert": true');
    const up = await call(server, "POST", "/documents", { documents: [{ id: "it-1", text: "Il pane è sul tavolo.", metadata: { lang: "it" } }], upsert: true });
    expect(up.body).toEqual({ ids: ["it-1"], size: 6 });
    expect((await call(server, "POST", "/search", { query: "bread", k: 1, filter: { lang: "it" } })).body.results[0].text).toBe("Il pane è sul tavolo.");

    expect((await call(server, "DELETE", "/documents", { ids: ["it-1", "nope"] })).body).toEqual({ deleted: 1, size: 5 });
    expect((await call(server, "DELETE", "/documents", { filter: { lang: "de" } })).body).toEqual({ deleted: 2, size: 3 });
    const gone = await call(server, "GET", "/documents/de-hund");
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("NOT_FOUND");
    await call(server, "POST", "/documents", { documents: [DOCS[1]] });
  });

  it("runs concurrent writes through one queue: every acknowledged id is stored", async () => {
    const before = server.collection.size;
    const writes = Array.from({ length: 12 }, (_, i) => call(server, "POST", "/documents", { documents: [{ id: `q-${i}`, text: `Der Hund ${i} bellt.` }] }));
    const searches = Array.from({ length: 12 }, () => call(server, "POST", "/search", { query: "dog", k: 3 }));
    const [w, s] = await Promise.all([Promise.all(writes), Promise.all(searches)]);
    expect(w.every((r) => r.status === 200)).toBe(true);
    expect(s.every((r) => r.status === 200 && r.body.results.length === 3)).toBe(true);
    expect(server.collection.size).toBe(before + 12);
    expect((await call(server, "DELETE", "/documents", { filter: { $or: [] } })).status).toBe(400);
    expect((await call(server, "DELETE", "/documents", { ids: Array.from({ length: 12 }, (_, i) => `q-${i}`) })).body.deleted).toBe(12);
  });

  it("reranks raw texts by MaxSim without storing them", async () => {
    const before = server.collection.size;
    const texts = ["El pan está en la mesa.", "Der Hund bellt.", "Le chat dort."];
    const r = await call(server, "POST", "/rerank", { query: "dog", documents: texts, topN: 2 });
    expect(r.body.results[0].index).toBe(1);
    expect(r.body.results.map((x: { index: number; score: number }) => [x.index, x.score])).toEqual(
      (await rerank(server.collection.encoder, "dog", texts, { topN: 2 })).map((x) => [x.index, x.score]),
    );
    expect(r.body.results[0].text).toBe("Der Hund bellt.");
    expect(r.body.results[0].score).toBeGreaterThan(r.body.results[1].score);
    expect(server.collection.size).toBe(before);
  });

  it("encodes texts into the same vectors as the encoder", async () => {
    const r = await call(server, "POST", "/encode", { texts: ["Der Hund bellt."], as: "document" });
    const [direct] = await server.collection.encoder.encodeDocuments(["Der Hund bellt."]);
    const [e] = r.body.embeddings;
    expect(r.body.dim).toBe(direct!.dim);
    expect(e.length).toBe(direct!.length);
    expect(e.tokens).toContain("hund");
    expect(e.vectors[3]).toEqual(Array.from(direct!.data.subarray(3 * direct!.dim, 4 * direct!.dim)));
    const q = await call(server, "POST", "/encode", { texts: ["dog"], as: "query" });
    expect(q.body.embeddings[0].length).toBe(32);
  });

  it("reports size, codec, model and index state in /stats", async () => {
    const r = await call(server, "GET", "/stats");
    expect(r.body).toMatchObject({
      documents: server.collection.size,
      codec: "float32",
      readOnly: false,
      dim: 128,
      model: { id: model, layout: "pylate-onnx", queryLength: 32 },
      index: { trained: false },
    });
    expect(r.body.tokens).toBeGreaterThan(0);
    expect(r.body.writes.pending).toBe(0);
    expect(r.body.searches).toEqual({ active: 0, waiting: 0 });
    expect(r.body.limits.maxConcurrentSearches).toBeGreaterThanOrEqual(2);
  });

  it("serves an OpenAPI document of every route and the playground page", async () => {
    const r = await call(server, "GET", "/openapi.json");
    expect(Object.keys(r.body.paths).sort()).toEqual(["/documents", "/documents/{id}", "/encode", "/explain", "/health", "/rerank", "/search", "/stats"]);
    expect(Object.keys(r.body.paths["/documents"]).sort()).toEqual(["delete", "post"]);
    expect(r.body.components.schemas.Error).toBeDefined();
    expect(r.body.security).toEqual([]);
    const page = await fetch(server.url + "/");
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('id="results"');
  });

  it("answers invalid input with 400 and the error code and fix", async () => {
    const noQuery = await call(server, "POST", "/search", { k: 1 });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.error.code).toBe("INVALID_INPUT");
    expect(noQuery.body.error.message).toContain("exactly one of query");
    const badK = await call(server, "POST", "/search", { query: "dog", k: -1 });
    expect(badK.status).toBe(400);
    expect(badK.body.error.message).toContain("body.k is invalid");
    expect(badK.body.error.message).toContain("(got the number -1)");
    const badFilter = await call(server, "POST", "/search", { query: "dog", filter: { lang: { $near: 1 } } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.code).toBe("INVALID_FILTER");
    const malformed = await call(server, "POST", "/search", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("INVALID_INPUT");
    const noText = await call(server, "POST", "/documents", { documents: [{ id: "x" }] });
    expect(noText.status).toBe(400);
    expect(noText.body.error.message).toContain("POST /documents: body.documents[0].text");
    // Past the route's schema, the core's boundary validation answers (here: metadata size), also as 400.
    const huge = await call(server, "POST", "/documents", { documents: [{ id: "big", text: "x", metadata: { blob: "x".repeat(70_000) } }] });
    expect(huge.status).toBe(400);
    expect(huge.body.error.code).toBe("INVALID_INPUT");
    expect(huge.body.error.message).toContain("metadata is larger than");
    const route = await call(server, "GET", "/nope");
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe("NOT_FOUND");
  });
});

describe("maxsim serve limits, auth and read-only mode", () => {
  it("refuses bodies over the limit with 413 and batches over the limit with 400", async () => {
    const server = await serve({ dir: await newCollection("limits"), limits: { maxBodyBytes: 2048, maxBatch: 2 } });
    const big = await call(server, "POST", "/documents", { documents: [{ text: "x".repeat(4096) }] });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const many = await call(server, "POST", "/documents", { documents: [{ text: "a" }, { text: "b" }, { text: "c" }] });
    expect(many.status).toBe(400);
    expect(many.body.error.message).toContain("documents");
    expect(server.collection.size).toBe(DOCS.length);
  });

  it("needs the bearer token on every route but /health and the page, compared exactly", async () => {
    const server = await serve({ dir: await newCollection("auth"), token: "s3cret-token" });
    expect((await call(server, "GET", "/health")).status).toBe(200);
    expect((await fetch(server.url + "/")).status).toBe(200);
    for (const [method, route, body] of [
      ["POST", "/search", { query: "dog" }],
      ["GET", "/stats"],
      ["GET", "/openapi.json"],
      ["POST", "/documents", { documents: [{ text: "x" }] }],
    ] as const) {
      const none = await call(server, method, route, body);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe("UNAUTHORIZED");
    }
    for (const wrong of ["Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"]) {
      expect((await call(server, "POST", "/search", { query: "dog" }, { authorization: wrong })).status).toBe(401);
    }
    const doc = await call(server, "GET", "/openapi.json", undefined, { authorization: "Bearer s3cret-token" });
    expect(doc.body.security).toEqual([{ bearer: [] }]);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const ok = await call(server, "POST", "/search", { query: "dog", k: 1 }, { authorization: "Bearer s3cret-token" });
    expect(ok.status).toBe(200);
    expect(ok.body.results[0].id).toBe("de-hund");
    expect(server.collection.size).toBe(DOCS.length);
  });

  it("refuses a non-loopback host without a token, and allowNoToken opts in with a warning", async () => {
    const dir = await newCollection("open");
    await expect(serve({ dir, host: "0.0.0.0" })).rejects.toMatchObject({ code: "INVALID_OPTION", message: expect.stringContaining("--token") });
    const lines: string[] = [];
    const server = await serve({ dir, host: "0.0.0.0", allowNoToken: true, log: (line) => lines.push(line) });
    expect(lines.join("\n")).toContain("without a token");
    const health = await fetch(`http://127.0.0.1:${server.port}/health`);
    expect(health.status).toBe(200);
  });

  it("serves a collection read-only beside its writer: searches work, writes answer 403", async () => {
    const dir = await newCollection("readonly");
    const writer = await serve({ dir });
    const reader = await serve({ dir, readOnly: true, refreshMs: 50 });
    const w = await call(reader, "POST", "/documents", { documents: [{ text: "x" }] });
    expect(w.status).toBe(403);
    expect(w.body.error.code).toBe("INDEX_READ_ONLY");
    expect((await call(reader, "DELETE", "/documents", { ids: ["fr-chat"] })).status).toBe(403);
    expect((await call(reader, "POST", "/search", { query: "cat", k: 1 })).body.results[0].id).toBe("fr-chat");
    expect((await call(reader, "GET", "/stats")).body.readOnly).toBe(true);
    // The reader moves to the writer's newest commit on its own.
    await call(writer, "POST", "/documents", { documents: [{ id: "it-cane", text: "Il cane dorme.", metadata: { lang: "it" } }] });
    let found = false;
    for (let i = 0; i < 200 && !found; i++) {
      found = (await call(reader, "GET", "/documents/it-cane")).status === 200;
      if (!found) await new Promise((r) => setTimeout(r, 25));
    }
    expect(found).toBe(true);
  });

  it("a second writer on the same directory fails with INDEX_LOCKED", async () => {
    const dir = await newCollection("locked");
    await serve({ dir });
    await expect(startServer({ dir, port: 0, log: () => {} })).rejects.toMatchObject({ code: "INDEX_LOCKED" });
  });

  it("a closing server answers 503 SERVER_CLOSING and then releases the writer lock", async () => {
    const dir = await newCollection("closing");
    const server = await startServer({ dir, port: 0, log: () => {} });
    const closing = server.close();
    const late = await fetch(server.url + "/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "dog" }),
    }).then(
      async (r) => ({ status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }),
      () => ({ status: 0, code: "refused" }),
    );
    // Either the listener is already closed (connection refused) or the request is refused with 503.
    expect(late.status === 0 || (late.status === 503 && late.code === "SERVER_CLOSING")).toBe(true);
    await closing;
    const again = await serve({ dir });
    expect(again.collection.size).toBe(DOCS.length);
  });
});
