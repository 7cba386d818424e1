#!/usr/bin/env node
// Builds every package (type errors are failures), runs each workspace package's vitest suite one
// package at a time (2-core machines: parallel suites only fight for the cores), and ends with
// one line `N passed, N failed` summed over all packages, as CI reads it (skipped tests are
// counted on the line before it).
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

for (const dir of workspaceDirs()) {
  const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  if (only.length > 0 && !only.includes(name)) continue;
  const report = join(dir, ".vitest-report.json");
  rmSync(report, { force: true });
  console.log(`\n=== ${name}`);
  const run = spawnSync(
    "pnpm",
    ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    { cwd: dir, stdio: "inherit", env: { ...process.env, FORCE_COLOR: "0" } },
  );
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

console.log(`\n${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
