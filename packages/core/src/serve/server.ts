/**
 * Runs the `maxsim serve` app on Node's HTTP server (`@hono/node-server`) and owns its lifecycle:
 * loopback by default, one write queue, and a graceful close that stops accepting connections,
 * answers new requests on open keep-alive connections with 503, lets in-flight requests finish,
 * drains the write queue (every acknowledged write is already committed: a write is answered only
 * after its commit), then closes the collection and its writer lock.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Collection } from "../collection/collection.js";
import type { ColBERTOptions } from "../encoder/types.js";
import { MaxsimError } from "../errors.js";
import { createServeApp } from "./app.js";
import type { InFlight } from "./app.js";
import type { ServeContext } from "./context.js";
import { DEFAULT_LIMITS } from "./schemas.js";
import type { ServeLimits } from "./schemas.js";
import { SearchLimiter } from "./search-limiter.js";
import { WriteQueue } from "./write-queue.js";

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** The collection directory. */
  dir: string;
  /**
   * Port; `0` picks a free one (read it from the result).
   * @defaultValue `7700`
   */
  port?: number;
  /**
   * Interface to bind. Anything but loopback exposes the collection to the network: set a token.
   * @defaultValue `"127.0.0.1"`
   */
  host?: string;
  /** Bearer token for every route but `/health` and the playground page. */
  token?: string;
  /**
   * Listen on a non-loopback `host` without a `token` (a network you trust, or auth in front of
   * it). Without this, that combination is refused: the collection would be open to anyone who
   * can reach the address, for reading and writing.
   * @defaultValue `false`
   */
  allowNoToken?: boolean;
  /**
   * Serve without the writer lock (another process may write); write routes answer 403, and the
   * server moves to the newest commit every `refreshMs`.
   * @defaultValue `false`
   */
  readOnly?: boolean;
  /**
   * How often a read-only server looks for new commits.
   * @defaultValue `2000`
   */
  refreshMs?: number;
  /** Body, batch, k and concurrent-search limits (defaults: 16 MiB, 1,000, 1,000, cores but at least 2). */
  limits?: Partial<ServeLimits>;
  /** Model loading options (the collection's stored model is used). */
  modelOptions?: ColBERTOptions;
  /**
   * How long a graceful close waits for in-flight requests before it closes their connections
   * (a stalled client cannot block shutdown); queued writes still finish and commit after it.
   * @defaultValue `10000`
   */
  closeTimeoutMs?: number;
  /** Where warnings go. @defaultValue `process.stderr.write` */
  log?: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly collection: Collection;
  /** Graceful close (idempotent): stop accepting, finish in-flight requests and queued writes, close the collection. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new MaxsimError(
          error.code === "EADDRINUSE" ? "INVALID_OPTION" : "IO_ERROR",
          error.code === "EADDRINUSE"
            ? `Port ${port} on ${host} is already in use. Pick another --port (0 picks a free one).`
            : `Cannot listen on ${host}:${port}: ${error.message}. Check --host and --port.`,
          { cause: error },
        ),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Resolves once no request is in flight, or after `ms`; true when it timed out. */
function drainRequests(inFlight: InFlight, ms: number): Promise<boolean> {
  if (inFlight.count === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    inFlight.onIdle = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
}

/**
 * Opens the collection in `dir` and serves it over HTTP.
 *
 * @param options - `dir`, `port` (7700), `host` (127.0.0.1), `token`, `readOnly`, `limits`
 * @returns the running server; `close()` shuts it down gracefully
 * @throws MaxsimError `INDEX_NOT_FOUND`, `INDEX_LOCKED` (another writer: use `readOnly`),
 * `INVALID_OPTION` (port in use, empty token), model loading codes
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Collection } from "@maxsim/core";
 * import { ensureFixtures } from "@maxsim/core/fixtures";
 * import { startServer } from "@maxsim/core/serve";
 * const dir = join(await mkdtemp(join(tmpdir(), "maxsim-")), "idx");
 * await (await Collection.create(dir, { model: (await ensureFixtures()).multilingual })).close();
 * const server = await startServer({ dir, port: 0 });
 * const post = (path: string, body: unknown) => fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
 * await post("/documents", { documents: [{ id: "fr", text: "Le chat dort.", metadata: { lang: "fr" } }] });
 * const { results } = await post("/search", { query: "cat", k: 1 });
 * console.log(results[0].id, results[0].metadata); // fr { lang: "fr" }
 * await server.close();
 * ```
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 7700;
  const readOnly = options.readOnly ?? false;
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  if (!Number.isInteger(closeTimeoutMs) || closeTimeoutMs < 0)
    throw new MaxsimError("INVALID_OPTION", `closeTimeoutMs must be a non-negative integer (milliseconds), got ${closeTimeoutMs}.`);
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new MaxsimError("INVALID_OPTION", `The server limit ${name} must be a positive integer, got ${value}.`);
  }
  if (!LOOPBACK.has(host) && options.token === undefined) {
    if (options.allowNoToken !== true) {
      throw new MaxsimError(
        "INVALID_OPTION",
        `Refusing to listen on ${host} without a token: anyone who can reach that address could read and change the collection. Pass --token (or set MAXSIM_TOKEN), bind to 127.0.0.1, or pass --allow-no-token if the network is trusted.`,
      );
    }
    log(
      `maxsim serve: warning: listening on ${host} without a token (--allow-no-token): anyone who can reach this address can read and change the collection.`,
    );
  }
  const collection = await Collection.open(options.dir, { readOnly, modelOptions: options.modelOptions });
  const ctx: ServeContext = { collection, readOnly, queue: new WriteQueue(), reads: new SearchLimiter(limits.maxConcurrentSearches), limits, closing: false };
  const inFlight: InFlight = { count: 0 };
  let app;
  try {
    app = createServeApp(ctx, inFlight, { token: options.token });
  } catch (error) {
    await collection.close();
    throw error;
  }
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  try {
    await listen(server, port, host);
  } catch (error) {
    await collection.close();
    throw error;
  }
  const actualPort = (server.address() as AddressInfo).port;

  let refresher: NodeJS.Timeout | undefined;
  if (readOnly) {
    let refreshing = false;
    refresher = setInterval(() => {
      if (refreshing) return;
      refreshing = true;
      collection
        .refresh()
        .catch((error: unknown) =>
          log(`maxsim serve: refresh failed (the previous snapshot stays served): ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => (refreshing = false));
    }, options.refreshMs ?? 2000);
    refresher.unref();
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      ctx.closing = true;
      if (refresher) clearInterval(refresher);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A stalled client (a body that never finishes) would hold shutdown forever: after the
      // deadline its connection is closed. Queued writes still run and commit below; their
      // requests were never acknowledged, so a client whose connection was cut must retry.
      if (await drainRequests(inFlight, closeTimeoutMs)) {
        log(`maxsim serve: ${inFlight.count} request(s) still running after ${closeTimeoutMs} ms; closing their connections.`);
        server.closeAllConnections();
      }
      await ctx.queue.drain();
      server.closeAllConnections();
      await stopped;
      await collection.close();
    })());

  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${actualPort}`, port: actualPort, collection, close };
}
