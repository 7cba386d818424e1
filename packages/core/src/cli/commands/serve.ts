/**
 * `maxsim serve <dir>`: the collection over HTTP (JSON API, `/openapi.json`, playground at `/`).
 * The server module (Hono) is imported only when this verb runs, so the other verbs and
 * `import "@maxsim/core"` never load it.
 */
import type { Command } from "commander";
import { MaxsimError } from "../../errors.js";
import { intOption } from "../options.js";
import { modelProgress } from "../progress.js";

interface ServeCliOptions {
  port: string;
  host: string;
  token?: string;
  allowNoToken?: boolean;
  readOnly?: boolean;
  maxBody: string;
  maxBatch: string;
  maxSearches?: string;
}

/** Registers `maxsim serve`. */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve a collection over HTTP: JSON API (/openapi.json) and a playground page at /")
    .argument("<dir>", "a collection directory")
    .option("--port <n>", "port (0 picks a free one)", "7700")
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option(
      "--token <token>",
      "require `Authorization: Bearer <token>` on every route but /health (default: $MAXSIM_TOKEN, which unlike a flag does not show in ps)",
    )
    .option("--allow-no-token", "allow a non-loopback --host without a token (a trusted network, or auth in front of the server)")
    .option("--read-only", "serve without the writer lock (another process writes); write routes answer 403")
    .option("--max-body <MiB>", "largest request body in MiB", "16")
    .option("--max-batch <n>", "most documents, texts or queries per request", "1000")
    .option("--max-searches <n>", "read requests run at once, the rest wait (default: cores, at least 2)")
    .action(async (dir: string, opts: ServeCliOptions) => {
      const port = intOption("--port", opts.port, 0)!;
      if (port > 65535) throw new MaxsimError("INVALID_OPTION", `--port must be at most 65535, got ${port}.`);
      const maxBodyBytes = intOption("--max-body", opts.maxBody, 1)! * 1024 * 1024;
      const maxBatch = intOption("--max-batch", opts.maxBatch, 1)!;
      const maxConcurrentSearches = intOption("--max-searches", opts.maxSearches, 1);
      const envToken = process.env.MAXSIM_TOKEN;
      const token = opts.token ?? (envToken !== undefined && envToken !== "" ? envToken : undefined);
      const { startServer } = await import("../../serve/server.js");
      const server = await startServer({
        dir,
        port,
        host: opts.host,
        token,
        allowNoToken: opts.allowNoToken ?? false,
        readOnly: opts.readOnly ?? false,
        limits: { maxBodyBytes, maxBatch, ...(maxConcurrentSearches === undefined ? {} : { maxConcurrentSearches }) },
        modelOptions: { onProgress: modelProgress },
      });
      process.stdout.write(
        `maxsim serve: ${server.url} (${server.collection.size} documents${token !== undefined ? ", token required" : ""}${opts.readOnly ? ", read-only" : ""}): playground at ${server.url}/, API at ${server.url}/openapi.json\n`,
      );
      // SIGTERM/SIGINT: stop accepting, finish in-flight requests and queued writes, close, exit 0.
      // A second signal while closing exits at once (1).
      await new Promise<void>((resolve, reject) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`maxsim serve: ${signal} again, exiting without waiting\n`);
            process.exit(1);
          }
          stopping = true;
          process.stderr.write(`maxsim serve: ${signal}: finishing in-flight requests and writes\n`);
          server.close().then(() => {
            process.stderr.write("maxsim serve: closed\n");
            resolve();
          }, reject);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
    });
}
