/**
 * Exact MaxSim kernel vs the numpy + BLAS baseline (`<shared>/bench/maxsim_numpy.py`) on identical
 * data: writes the raw files, runs both, prints throughput side by side and top-10 agreement.
 *
 *   pnpm --filter @maxsim/core bench:kernel [-- --docs 20000 --queries 8]
 *
 * `MAXSIM_SHARED` points at the shared folder (default `../shared` from the repo root); without it
 * (or without python3 + numpy) the baseline is skipped with one line saying so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { syntheticCorpus } from "../src/index/synthetic.js";
import { scoreFlatJs } from "../src/scoring/js-kernel.js";
import { scoreFlatOrt } from "../src/scoring/ort-kernel.js";

// `pnpm bench:x -- --flag` forwards the `--` separator itself; drop it so the flags parse.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
  options: {
    docs: { type: "string", default: "20000" },
    queries: { type: "string", default: "8" },
    qlen: { type: "string", default: "32" },
    repeat: { type: "string", default: "3" },
  },
});
const nDocs = Number(values.docs);
const nQueries = Number(values.queries);
const qlen = Number(values.qlen);
const repeat = Number(values.repeat);
const dim = 128;
const k = 10;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = resolve(repoRoot, process.env["MAXSIM_SHARED"] ?? "../shared");
const script = join(shared, "bench", "maxsim_numpy.py");

const corpus = syntheticCorpus({ docs: nDocs, dim, seed: 1 });
const tokens = corpus.offsets[nDocs]!;
const queries = corpus.queries(nQueries, qlen, 7);
console.log(`data: ${nDocs} docs, ${tokens} doc tokens, dim ${dim}, ${nQueries} queries × ${qlen} tokens (synthetic clustered, seed 1)`);

function topK(scores: Float32Array): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k);
}

async function timeIt(run: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1000;
}

// Warm the session and block layout (not timed, as numpy's import and page-in are not).
const ours = await scoreFlatOrt([queries[0]!], corpus);
const oursTop: number[][] = [];
const single = await timeIt(async () => {
  oursTop.length = 0;
  for (const q of queries) oursTop.push(topK((await scoreFlatOrt([q], corpus))[0]!));
});
const batched = await timeIt(() => scoreFlatOrt(queries, corpus));
const jsDocs = Math.min(nDocs, 500);
const jsSubset = Int32Array.from({ length: jsDocs }, (_, i) => i);
const jsTime = await timeIt(() => scoreFlatJs(queries[0]!, corpus, jsSubset));
const jsTokens = corpus.offsets[jsDocs]!;
void ours;

const row = (name: string, secondsPerQuery: number, tok: number) =>
  console.log(
    `${name.padEnd(34)} ${(secondsPerQuery * 1000).toFixed(1).padStart(8)} ms/query ${(tok / secondsPerQuery / 1e6).toFixed(2).padStart(7)} M doc tokens/s`,
  );

console.log("");
row("maxsim ORT kernel, 1 query/call", single / nQueries, tokens);
row(`maxsim ORT kernel, ${nQueries} queries/call`, batched / nQueries, tokens);
row(`maxsim JS kernel (${jsDocs} docs only)`, jsTime, jsTokens);

if (!existsSync(script)) {
  console.log(`numpy baseline skipped: ${script} not found (set MAXSIM_SHARED to the shared folder)`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), "maxsim-kernel-"));
  try {
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(tmp, "docs.f32"), bytes(corpus.data));
    writeFileSync(join(tmp, "offsets.i32"), bytes(corpus.offsets));
    const q = new Float32Array(nQueries * qlen * dim);
    queries.forEach((x, i) => q.set(x.data, i * qlen * dim));
    writeFileSync(join(tmp, "queries.f32"), bytes(q));
    const args = [script, "--docs", join(tmp, "docs.f32"), "--offsets", join(tmp, "offsets.i32"), "--queries", join(tmp, "queries.f32")];
    const res = spawnSync("python3", [...args, "--dim", String(dim), "--qlen", String(qlen), "--k", String(k), "--repeat", String(repeat)], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (res.status !== 0) {
      console.log(`numpy baseline skipped: python3 failed (${(res.stderr || res.error?.message || "").trim().split("\n").pop()})`);
    } else {
      const out = JSON.parse(res.stdout) as { baseline: string; seconds_per_query: number; results: { ids: number[] }[] };
      row(`baseline ${out.baseline}`, out.seconds_per_query, tokens);
      let agree = 0;
      out.results.forEach((r, i) => (agree += r.ids.filter((id) => oursTop[i]!.includes(id)).length));
      const exactSame = out.results.filter((r, i) => r.ids.join() === oursTop[i]!.join()).length;
      console.log("");
      console.log(
        `speed vs numpy: 1 query/call ${(out.seconds_per_query / (single / nQueries)).toFixed(2)}×, batched ${(out.seconds_per_query / (batched / nQueries)).toFixed(2)}×`,
      );
      console.log(`top-${k} agreement with numpy: ${agree}/${nQueries * k} ids; identical ordered lists ${exactSame}/${nQueries}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
console.log("(2-core machine shared with other jobs: figures are best of", repeat, "runs and still noisy)");
