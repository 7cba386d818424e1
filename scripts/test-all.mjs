#!/usr/bin/env node
// Builds every package (type errors are failures), typechecks tests, benches, scripts and examples
// (one failure if any does not), lints and format-checks with Biome (one failure), runs each workspace package's
// vitest suite one package at a time (2-core machines: parallel suites only fight for the cores),
// then the consumer test (test/consumer/run.mjs: the packed packages installed with npm and pnpm
// as the READMEs say, each check counted), and ends with one line `N passed, N failed` summed
// over all of it, as CI reads it (skipped tests are counted on the line before it).
// `node scripts/test-all.mjs <package names…>` runs only those suites (add `consumer` for the
// consumer test); `MAXSIM_SKIP_CONSUMER=1` skips the consumer test in a full run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);

function workspaceDirs() {
  const dirs = [];
  for (const group of ["packages", "examples"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) dirs.push(join(base, name));
  }
  dirs.push(join(root, "test"));
  return dirs.filter((d) => {
    const pkg = join(d, "package.json");
    return existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).scripts?.test;
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;

const build = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
  console.error("build failed: fix the type errors above");
  failed += 1;
}

if (only.length === 0) {
  const typecheck = spawnSync("pnpm", ["exec", "turbo", "run", "typecheck", "--output-logs=errors-only"], { cwd: root, stdio: "inherit" });
  if (typecheck.status !== 0) {
    console.error("typecheck failed (tests, benches, scripts or examples): fix the type errors above");
    failed += 1;
  }
  // `biome ci` = the lint and the format check in one read-only pass.
  const lint = spawnSync("pnpm", ["exec", "biome", "ci", ".", "--diagnostic-level=error"], { cwd: root, stdio: "inherit" });
  if (lint.status !== 0) {
    console.error("lint or format check failed: fix the Biome errors above (pnpm lint; pnpm format rewrites the formatting)");
    failed += 1;
  }
}

for (const dir of workspaceDirs()) {
  const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  if (only.length > 0 && !only.includes(name)) continue;
  const report = join(dir, ".vitest-report.json");
  rmSync(report, { force: true });
  console.log(`\n=== ${name}`);
  const run = spawnSync("pnpm", ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  if (!existsSync(report)) {
    console.error(`${name}: vitest wrote no report (exit ${run.status}); counted as one failure`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A suite that fails to load has no failed tests but is a failure all the same.
  const brokenFiles = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
  failed += brokenFiles;
  if (run.status !== 0 && r.numFailedTests === 0 && brokenFiles === 0) failed += 1;
}

if ((only.length === 0 && process.env.MAXSIM_SKIP_CONSUMER !== "1") || only.includes("consumer")) {
  console.log("\n=== consumer test (packed packages in fresh npm and pnpm apps)");
  const report = join(root, "test", "consumer", ".consumer-report.json");
  rmSync(report, { force: true });
  const run = spawnSync(process.execPath, [join(root, "test", "consumer", "run.mjs"), "--report", report], { cwd: root, stdio: "inherit" });
  if (!existsSync(report)) {
    console.error(`consumer test wrote no report (exit ${run.status}); counted as one failure`);
    failed += 1;
  } else {
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.passed;
    failed += r.failed;
    if (run.status !== 0 && r.failed === 0) failed += 1;
  }
}

console.log(`\n${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
