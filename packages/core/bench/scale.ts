/**
 * Scale bench: a streamed synthetic corpus (`stream-corpus.ts`: never all in memory) built into a
 * two-tier index (residual codes in RAM, float16 rows on disk) beside its baseline, the all-in-RAM
 * float16 index on the same data, each phase in its own child process so that peak RSS and RSS
 * after open are that phase's own:
 *
 *   truth   float32 exact top-10 of the first `--truth` queries, streaming the corpus once
 *   build   streamed bulk load (centroids trained on the first `--sample-tokens` tokens):
 *           build time, docs/s, peak RSS, disk bytes
 *   search  open time, RSS right after open vs the RAM tier (`vectorBytesInMemory`: codes +
 *           residuals; the part of the RSS growth that is V8 heap is shown beside it), p50/p95
 *           of `search` over `--queries` queries (page cache warm; two-tier also with the tier
 *           files dropped from the page cache first, `dd iflag=nocache`, which doubles as the
 *           warm-up), recall@10 vs truth
 *   paired  both indexes open in one process, each query run on both in turn, three passes:
 *           p50/p95 of each and their ratio, without the drift between separate phases
 *
 * Each phase's time is printed at the end (wall and CPU), with the share spent generating the
 * corpus. Measured at 100k docs on the shared 2-core machine (load 2.9): truth 17 s, build 96 s
 * (139 s CPU; 50 s at 20k), open 0.5 s, search 44 s; at load 5.7 the same run took 56 / 188 /
 * 0.4 / 77 s. Linear in documents past the fixed training cost, `--docs 1000000` extrapolates
 * to truth ≈ 3–9 min, build ≈ 10–30 min (k-means assignment and residual encoding are most of
 * it), open ≈ 5 s, search ≈ 2 min: within 30 minutes only on a quiet machine.
 *
 *   pnpm --filter @maxsim/core bench:scale -- --docs 100000
 *   pnpm --filter @maxsim/core bench:scale -- --docs 1000000 --baseline none
 *   (family knobs: --noise 0.6 --concepts 2048 --concepts-per-doc 6; --len 64)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MaxSimIndex } from "../src/index/maxsim-index.js";
import type { MaxSimIndexOptions } from "../src/index/index-state.js";
import { TopK } from "../src/index/top-k.js";
import { scoreFlatOrt } from "../src/scoring/ort-kernel.js";
import { streamCorpus } from "./stream-corpus.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    docs: { type: "string", default: "100000" },
    len: { type: "string", default: "64" },
    dim: { type: "string", default: "128" },
    queries: { type: "string", default: "200" },
    truth: { type: "string", default: "50" },
    batch: { type: "string", default: "2000" },
    "sample-tokens": { type: "string", default: String(1 << 18) },
    centroids: { type: "string", default: "auto" },
    codec: { type: "string", default: "residual-2" },
    baseline: { type: "string", default: "float16" },
    noise: { type: "string", default: "0.6" },
    concepts: { type: "string", default: "2048" },
    "concepts-per-doc": { type: "string", default: "6" },
    dir: { type: "string" },
    phase: { type: "string" },
    config: { type: "string" },
  },
});

const nDocs = Number(values.docs);
const len = Number(values.len);
const dim = Number(values.dim);
const batch = Number(values.batch);
const k = 10;
const corpus = streamCorpus({
  dim,
  docLength: [len, len],
  concepts: Number(values.concepts),
  conceptsPerDoc: Number(values["concepts-per-doc"]),
  noise: Number(values.noise),
  seed: 1,
});
const queries = corpus.queries(Number(values.queries), nDocs, 32, 7);
/** Seconds spent generating corpus batches in this process (the truth and build phases stream the corpus). */
let generationSeconds = 0;
const batchOf = (from: number, to: number) => {
  const t = performance.now();
  const b = corpus.batch(from, to);
  generationSeconds += (performance.now() - t) / 1000;
  return b;
};
const nTruth = Math.min(queries.length, Number(values.truth));
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const peakRss = () => process.resourceUsage().maxRSS * 1024;
/** CPU seconds of this process so far (all threads: ONNX Runtime's too), beside wall time on a shared machine. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function indexOptions(config: string): MaxSimIndexOptions {
  // "auto": the index's default for the sample it trains on (16·√T).
  const centroids = values.centroids === "auto" ? {} : { centroids: Number(values.centroids) };
  const common = { dim, minTrainTokens: Number(values["sample-tokens"]), ...centroids, autoRetrain: false };
  if (config === "tier") return { ...common, codec: values.codec as MaxSimIndexOptions["codec"], diskTier: "float16" };
  return { ...common, codec: config as MaxSimIndexOptions["codec"] };
}

async function truthPhase(out: string): Promise<void> {
  const t0 = performance.now();
  const tops = queries.slice(0, nTruth).map(() => new TopK(k));
  for (let i = 0; i < nDocs; i += batch) {
    const b = batchOf(i, Math.min(nDocs, i + batch));
    for (let q = 0; q < nTruth; q += 8) {
      const scores = await scoreFlatOrt(queries.slice(q, Math.min(nTruth, q + 8)), { data: b.data, offsets: b.offsets, dim });
      scores.forEach((sc, j) => b.ids.forEach((id, d) => tops[q + j]!.push(id, sc[d]!)));
    }
  }
  writeFileSync(
    out,
    JSON.stringify({
      seconds: (performance.now() - t0) / 1000,
      generationSeconds,
      cpuSeconds: cpuSeconds(),
      ids: tops.map((t) => t.result().map((h) => h.id)),
    }),
  );
}

async function buildPhase(dir: string, config: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const cpu0 = cpuSeconds();
  const index = await MaxSimIndex.create(dir, indexOptions(config));
  await index.bulk(async () => {
    for (let i = 0; i < nDocs; i += batch) {
      const b = batchOf(i, Math.min(nDocs, i + batch));
      await index.add(
        b.ids.map((id, j) => ({
          id,
          embeddings: { data: b.data.subarray(b.offsets[j]! * dim, b.offsets[j + 1]! * dim), length: b.offsets[j + 1]! - b.offsets[j]!, dim },
        })),
      );
    }
  });
  await index.close();
  const seconds = (performance.now() - t0) / 1000;
  const disk = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  return { seconds, cpuSeconds: cpuSeconds() - cpu0, generationSeconds, docsPerSecond: nDocs / seconds, peakRss: peakRss(), disk };
}

async function searchPhase(dir: string, config: string, truthFile: string): Promise<Record<string, number>> {
  const truth = (JSON.parse(readFileSync(truthFile, "utf8")) as { ids: string[][] }).ids;
  await scoreFlatOrt([queries[0]!], { data: new Float32Array(dim), offsets: Int32Array.from([0, 1]), dim }); // load ORT before the bare RSS
  await settle();
  const bare = process.memoryUsage().rss;
  const bareHeap = process.memoryUsage().heapTotal;
  const t0 = performance.now();
  const index = await MaxSimIndex.open(dir, { readOnly: true });
  const openSeconds = (performance.now() - t0) / 1000;
  await settle();
  const afterOpen = process.memoryUsage().rss;
  const heapGrowth = process.memoryUsage().heapTotal - bareHeap;
  const ramTier = index.vectorBytesInMemory();
  const tSearch = performance.now();
  const cpu0 = cpuSeconds();
  const run = async () => {
    const lat: number[] = [];
    let recall = 0;
    for (const [i, q] of queries.entries()) {
      const s = performance.now();
      const hits = await index.search(q, { k });
      lat.push(performance.now() - s);
      if (i < nTruth) recall += hits.filter((h) => truth[i]!.includes(h.id)).length / k;
    }
    return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), recall: recall / nTruth };
  };
  let cold = { p50: NaN, p95: NaN };
  if (config === "tier") {
    // Cold: the tier files dropped from the page cache (the RAM tier is in memory anyway). It
    // reads the pages the warm run reads, so it also serves as the warm-up.
    for (const f of readdirSync(dir).filter((f) => /-tier-\d+\.bin$/.test(f))) {
      execFileSync("dd", [`if=${join(dir, f)}`, "iflag=nocache", "count=0", "status=none"]);
    }
    cold = await run();
  } else await run(); // warm the page cache and the JIT
  const warm = await run();
  const out = {
    openSeconds,
    searchSeconds: (performance.now() - tSearch) / 1000,
    searchCpuSeconds: cpuSeconds() - cpu0,
    bare,
    afterOpen,
    heapGrowth,
    ramTier,
    p50: warm.p50,
    p95: warm.p95,
    recall: warm.recall,
    coldP50: cold.p50,
    coldP95: cold.p95,
    peakRss: peakRss(),
  };
  await index.close();
  return out;
}

/**
 * Two tiers against the baseline with drift taken out: both indexes open in one process, each
 * query run on one and then the other (which goes first alternates), 3 passes over the queries,
 * page cache warm (the search phases above ran first). This VM's speed moves by ±25% between
 * runs minutes apart, so the ratio of two separate phases is partly the drift.
 */
async function pairedPhase(root: string, baseline: string): Promise<Record<string, number>> {
  const tier = await MaxSimIndex.open(join(root, "tier"), { readOnly: true });
  const base = await MaxSimIndex.open(join(root, baseline), { readOnly: true });
  const lat = { tier: [] as number[], base: [] as number[] };
  const time = async (index: MaxSimIndex, q: (typeof queries)[number], into: number[]) => {
    const s = performance.now();
    await index.search(q, { k });
    into.push(performance.now() - s);
  };
  // Warm-up, one index at a time: the planner times each index's exact kernel on its first search.
  for (const index of [tier, base]) for (const q of queries) await index.search(q, { k });
  for (let pass = 0; pass < 3; pass++) {
    for (const [i, q] of queries.entries()) {
      if ((i + pass) % 2 === 0) {
        await time(tier, q, lat.tier);
        await time(base, q, lat.base);
      } else {
        await time(base, q, lat.base);
        await time(tier, q, lat.tier);
      }
    }
  }
  await tier.close();
  await base.close();
  return { tierP50: pct(lat.tier, 0.5), tierP95: pct(lat.tier, 0.95), baseP50: pct(lat.base, 0.5), baseP95: pct(lat.base, 0.95), searches: lat.tier.length };
}

/**
 * Collects garbage and lets V8 release it: `gc()` frees ArrayBuffer backing stores only once its
 * concurrent sweep has run, so RSS read right after `gc()` still counts buffers already dead
 * (e.g. the buffer the load read segments into).
 */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
}

if (values.phase !== undefined) {
  const dir = values.dir!;
  const config = values.config ?? "tier";
  if (values.phase === "truth") await truthPhase(join(dir, "truth.json"));
  else if (values.phase === "paired") process.stdout.write(`RESULT ${JSON.stringify(await pairedPhase(dir, values.baseline!))}\n`);
  else {
    const result =
      values.phase === "build" ? await buildPhase(join(dir, config), config) : await searchPhase(join(dir, config), config, join(dir, "truth.json"));
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  }
  process.exit(0);
}

// The orchestrator: one child process per phase.
const root = values.dir ?? mkdtempSync(join(tmpdir(), "maxsim-scale-"));
mkdirSync(root, { recursive: true }); // a --dir that does not exist yet (the truth phase writes into it)
const self = fileURLToPath(import.meta.url);
const forwarded = process.argv.slice(2).filter((a) => a !== "--");
function child(phase: string, config?: string): Record<string, number> {
  const args = [
    "--conditions=@maxsim/source",
    "--import",
    "tsx",
    "--expose-gc",
    self,
    ...forwarded,
    "--phase",
    phase,
    "--dir",
    root,
    ...(config ? ["--config", config] : []),
  ];
  const res = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`${phase} ${config ?? ""} failed (${res.status ?? res.signal})`);
  const line = res.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  return line ? (JSON.parse(line.slice(7)) as Record<string, number>) : {};
}

const tokens = nDocs * len;
console.log(
  `scale bench: ${nDocs} docs × ${len} tokens = ${tokens} tokens, dim ${dim}; noise ${values.noise}, ${values.concepts} concepts, ${values["concepts-per-doc"]} per doc`,
);
console.log(
  `centroids ${values.centroids} trained on the first ${values["sample-tokens"]} tokens; batches of ${batch} docs; ${queries.length} queries (recall on ${nTruth})`,
);
console.log(`machine: 2 cores shared with other jobs, load average at start ${loadavg()[0]!.toFixed(1)}\n`);
const tTruth = performance.now();
child("truth");
const truthSeconds = (performance.now() - tTruth) / 1000;
const truthRun = JSON.parse(readFileSync(join(root, "truth.json"), "utf8")) as { generationSeconds: number; cpuSeconds: number };
console.log(
  `truth (float32 exact, streamed): ${truthSeconds.toFixed(0)} s (${truthRun.cpuSeconds.toFixed(0)} s CPU), of which corpus generation ${truthRun.generationSeconds.toFixed(0)} s`,
);
const phases: string[] = [
  `truth ${truthSeconds.toFixed(0)} s, ${truthRun.cpuSeconds.toFixed(0)} s CPU (corpus generation ${truthRun.generationSeconds.toFixed(0)} s)`,
];
const configs = ["tier", ...(values.baseline === "none" ? [] : [values.baseline!])];
const rows: string[][] = [
  [
    "index",
    "build s",
    "docs/s",
    "build peak RSS MB",
    "disk MB",
    "open s",
    "RSS bare→open MB",
    "V8 heap +MB",
    "RAM tier MB",
    "open/RAM",
    "p50 ms",
    "p95 ms",
    "cold p50/p95",
    "recall@10",
  ],
];
for (const config of configs) {
  const b = child("build", config);
  // Printed at once: a run stopped during the (long) search phase keeps its build figures.
  console.log(`${config} build: ${JSON.stringify(b)} (load ${loadavg()[0]!.toFixed(1)})`);
  const s = child("search", config);
  const name = config === "tier" ? `two-tier ${values.codec} + float16 disk` : `${config} all in RAM`;
  rows.push([
    name,
    b.seconds!.toFixed(0),
    b.docsPerSecond!.toFixed(0),
    mb(b.peakRss!),
    mb(b.disk!),
    s.openSeconds!.toFixed(2),
    `${mb(s.bare!)}→${mb(s.afterOpen!)}`,
    mb(s.heapGrowth!),
    mb(s.ramTier!),
    ((s.afterOpen! - s.bare!) / s.ramTier!).toFixed(2),
    s.p50!.toFixed(1),
    s.p95!.toFixed(1),
    typeof s.coldP50 === "number" ? `${s.coldP50.toFixed(1)}/${s.coldP95!.toFixed(1)}` : "",
    s.recall!.toFixed(3),
  ]);
  console.log(`${name}: ${JSON.stringify({ ...b, ...s })} (load ${loadavg()[0]!.toFixed(1)})`);
  phases.push(
    `${config}: build ${b.seconds!.toFixed(0)} s, ${b.cpuSeconds!.toFixed(0)} s CPU (corpus generation ${b.generationSeconds!.toFixed(0)} s), open ${s.openSeconds!.toFixed(1)} s, search ${s.searchSeconds!.toFixed(0)} s, ${s.searchCpuSeconds!.toFixed(0)} s CPU (2×${queries.length} queries)`,
  );
}
let paired = "";
if (configs.length > 1) {
  const p = child("paired");
  paired = `paired (both open in one process, queries alternating, ${p.searches} searches each, page cache warm): two tiers p50 ${p.tierP50!.toFixed(1)} / p95 ${p.tierP95!.toFixed(1)} ms, ${values.baseline} in RAM p50 ${p.baseP50!.toFixed(1)} / p95 ${p.baseP95!.toFixed(1)} ms: p50 ${(p.tierP50! / p.baseP50!).toFixed(2)}×, p95 ${(p.tierP95! / p.baseP95!).toFixed(2)}×`;
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log("");
for (const r of rows) console.log(r.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join("  "));
console.log(
  `\nRAM tier = vectorBytesInMemory (codes + residuals, or float16 rows): ${((Number(rows[1]![8]) * 2 ** 20) / tokens).toFixed(1)} B/token for the two-tier index.`,
);
console.log(
  "open/RAM = (RSS right after open − RSS of the same process before it, each after gc() and V8's sweep of dead buffers) / RAM tier; V8 heap +MB: the part of it that is V8 heap growth.",
);
if (paired !== "") console.log(paired);
console.log(`time per phase: ${phases.join("; ")}`);
if (values.dir === undefined) rmSync(root, { recursive: true, force: true });
