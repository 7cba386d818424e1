/**
 * Load on `maxsim serve` over loopback: autocannon keeps N concurrent searchers on `POST /search`
 * while one writer adds documents through `POST /documents` for the whole run. Baseline in the
 * same run: the same searchers with no writer (phase 1), so the writer's cost shows as a ratio.
 * The server is a separate process (`maxsim serve`, tsx on the source), so the load generator
 * does not share its event loop. After the run the server gets SIGTERM, must exit 0, and the
 * collection is reopened to count the writer's acknowledged ids: "lost" must be 0.
 *
 * Run: `pnpm --filter @maxsim/core bench:serve [--duration 60] [--connections 8] [--docs 2000]`
 * (`--quick`: 10 s phases; `--max-searches <n>`: the server's cap on concurrent read requests). Not a test: figures depend on the machine and what else runs on it.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { Collection } from "../src/collection/collection.js";
import { machineInfo } from "../src/eval/machine.js";
import { ensureFixtures } from "../src/fixtures/index.js";
import { Prng } from "../src/fixtures/prng.js";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    connections: { type: "string", default: "8" },
    docs: { type: "string", default: "2000" },
    quick: { type: "boolean", default: false },
    "max-searches": { type: "string" },
  },
});
const DURATION = args.quick ? 10 : Number(args.duration);
const CONNECTIONS = Number(args.connections);
const DOCS = Number(args.docs);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

// Words the multilingual fixture knows, in several languages (translations share a vector).
const WORDS = (
  "chat Hund pájaro poisson Pferd vache cerdo mouton pan Brot leche water river Fluss mesa table " +
  "maison Haus casa train Zug gare airport aéroport Berg montagne snow Schnee winter hiver summer " +
  "Sommer Garten jardin cocina kitchen sleep dort schläft duerme run corre läuft cold froid kalt"
).split(" ");
const QUERY_WORDS =
  "cat dog bird fish horse cow pig sheep bread milk water river table house train station airport mountain snow winter summer garden kitchen".split(" ");

const rng = new Prng("serve-bench");
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
const sentence = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(" ");

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Phase {
  name: string;
  searches: number;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  writes?: { requests: number; docs: number; p50: number; p99: number; errors: number };
}

async function searchLoad(url: string, seconds: number): Promise<{ reqPerSec: number; latencies: number[]; errors: number; total: number }> {
  const latencies: number[] = [];
  const queryRng = new Prng(`queries-${seconds}`);
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: "POST",
            path: "/search",
            headers: { "content-type": "application/json" },
            setupRequest: (req) => {
              const q = Array.from({ length: 3 }, () => QUERY_WORDS[Math.floor(queryRng.uniform() * QUERY_WORDS.length)]).join(" ");
              return { ...req, body: JSON.stringify({ query: q, k: 10 }) };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await finished;
  return {
    reqPerSec: result.requests.average,
    latencies: latencies.sort((a, b) => a - b),
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

async function writer(url: string, stop: { done: boolean }, acked: string[]): Promise<{ requests: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  while (!stop.done) {
    const ids = Array.from({ length: 8 }, (_, i) => `w-${n}-${i}`);
    n++;
    const t0 = performance.now();
    const res = await fetch(`${url}/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documents: ids.map((id) => ({ id, text: sentence(10 + (n % 15)), metadata: { w: n } })) }),
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    if (res.status === 200) acked.push(...ids);
    else errors++;
  }
  return { requests: n, latencies: latencies.sort((a, b) => a - b), errors };
}

const fx = await ensureFixtures();
const tmp = await mkdtemp(path.join(tmpdir(), "maxsim-serve-bench-"));
const dir = path.join(tmp, "idx");
{
  const c = await Collection.create(dir, { model: fx.multilingual });
  await c.addDocuments(
    Array.from({ length: DOCS }, (_, i) => ({ id: `d-${i}`, text: sentence(8 + (i % 20)), metadata: { lang: pick(["fr", "de", "es", "en"]) } })),
  );
  await c.close();
}

// Baseline without HTTP: the same queries through Collection.query in this process, one at a time.
const inProcess: number[] = [];
{
  const c = await Collection.open(dir, { readOnly: true });
  const queryRng = new Prng("in-process");
  const until = performance.now() + Math.max(5, Math.round(DURATION / 6)) * 1000;
  while (performance.now() < until) {
    const q = Array.from({ length: 3 }, () => QUERY_WORDS[Math.floor(queryRng.uniform() * QUERY_WORDS.length)]).join(" ");
    const t0 = performance.now();
    await c.query(q, { k: 10 });
    inProcess.push(performance.now() - t0);
  }
  await c.close();
  inProcess.sort((a, b) => a - b);
}

const child = spawn(
  process.execPath,
  [
    "--conditions=@maxsim/source",
    "--import",
    TSX,
    MAIN,
    "serve",
    dir,
    "--port",
    "0",
    ...(args["max-searches"] === undefined ? [] : ["--max-searches", args["max-searches"]]),
  ],
  { stdio: ["ignore", "pipe", "pipe"] },
);
let stderr = "";
child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
const url = await new Promise<string>((resolve, reject) => {
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /maxsim serve: (http:\/\/\S+) /.exec(out);
    if (m) resolve(m[1]!);
  });
  void exited.then(() => reject(new Error(`maxsim serve exited: ${stderr}`)));
});

const machine = machineInfo();
console.log(
  `maxsim serve load bench: ${DOCS} documents (multilingual fixture model), ${CONNECTIONS} concurrent searchers, k=10, phases of ${DURATION} s, server --max-searches ${args["max-searches"] ?? "default (cores, at least 2)"}`,
);
console.log(`machine: ${JSON.stringify(machine)}\n`);

const phases: Phase[] = [];
{
  const s = await searchLoad(url, Math.max(5, Math.round(DURATION / 3)));
  phases.push({
    name: "searchers only (baseline)",
    searches: s.total,
    reqPerSec: s.reqPerSec,
    p50: percentile(s.latencies, 50),
    p95: percentile(s.latencies, 95),
    p99: percentile(s.latencies, 99),
    errors: s.errors,
  });
}
const acked: string[] = [];
{
  const stop = { done: false };
  const w = writer(url, stop, acked);
  const s = await searchLoad(url, DURATION);
  stop.done = true;
  const wr = await w;
  phases.push({
    name: "searchers + 1 writer",
    searches: s.total,
    reqPerSec: s.reqPerSec,
    p50: percentile(s.latencies, 50),
    p95: percentile(s.latencies, 95),
    p99: percentile(s.latencies, 99),
    errors: s.errors,
    writes: { requests: wr.requests, docs: acked.length, p50: percentile(wr.latencies, 50), p99: percentile(wr.latencies, 99), errors: wr.errors },
  });
}

child.kill("SIGTERM");
const code = await exited;
const reopened = await Collection.open(dir, { readOnly: true });
const lost = acked.filter((id) => !reopened.has(id)).length;
const size = reopened.size;
await reopened.close();
await rm(tmp, { recursive: true, force: true });

const f = (x: number) => x.toFixed(1);
console.log("| phase | searches | req/s | p50 ms | p95 ms | p99 ms | errors |");
console.log("|---|---|---|---|---|---|---|");
for (const p of phases) console.log(`| ${p.name} | ${p.searches} | ${f(p.reqPerSec)} | ${f(p.p50)} | ${f(p.p95)} | ${f(p.p99)} | ${p.errors} |`);
console.log(
  `| in-process Collection.query, 1 at a time (no HTTP) | ${inProcess.length} | ${f(inProcess.length / (inProcess.reduce((a, b) => a + b, 0) / 1000))} | ${f(percentile(inProcess, 50))} | ${f(percentile(inProcess, 95))} | ${f(percentile(inProcess, 99))} | 0 |`,
);
const [base, load] = phases as [Phase, Phase];
console.log(
  `\nsearch req/s with the writer / without: ${(load.reqPerSec / base.reqPerSec).toFixed(2)}×; p50 ${(load.p50 / base.p50).toFixed(2)}×, p99 ${(load.p99 / base.p99).toFixed(2)}×`,
);
const w = load.writes!;
console.log(
  `writer: ${w.requests} requests of 8 documents, ${w.docs} acknowledged (${f(w.docs / DURATION)} docs/s), p50 ${f(w.p50)} ms, p99 ${f(w.p99)} ms, ${w.errors} errors`,
);
console.log(`SIGTERM: exit ${code}; reopened: ${size} documents (${DOCS} + ${w.docs} acknowledged expected), lost acknowledged writes: ${lost}`);
if (code !== 0 || lost > 0 || base.errors + load.errors + w.errors > 0) process.exitCode = 1;
