#!/usr/bin/env node
/**
 * The consumer test: maxsim as a user gets it, not as this monorepo runs it.
 *
 * 1. Deletes every package's dist/ and packs the three packages with `pnpm pack` (so `prepack`
 *    must build them), then inspects each tarball's manifest (no `workspace:` ranges, no bare
 *    `source` condition, LICENSE/README/repository/publishConfig/engines present).
 * 2. Runs the release script's dry run.
 * 3. In fresh `"type": "module"` apps, runs the install blocks of the packages' READMEs, one
 *    bash script per block (`<!-- install:npm -->`, `<!-- install:pnpm -->`, `<!-- install:yarn -->`;
 *    the root README must carry the same blocks verbatim), with only the `@maxsim/*` names swapped
 *    for the tarballs (and pinned to them with overrides/resolutions, as the registry would). ONNX Runtime's
 *    downloader is pointed at a closed port (GLOBAL_AGENT_HTTPS_PROXY), so an install line that
 *    lets it fetch CUDA binaries fails here as it would offline.
 * 4. In each app: one copy of every host package on disk, the consumer program (`app.mjs`: core
 *    Collection + explain, LangChain LCEL chain + reranker, LlamaIndex query engine) with no
 *    "already imported" warning, the CLI (`--version`, `--help`, `info`, `index`, `search`) on
 *    `fixture:multilingual`, and in the npm app the same program bundled with esbuild.
 *
 * Every check is named after the row of the install issue's table it guards. Prints `ok`/`FAIL`
 * per check and `consumer: N passed, N failed`; `--report <file>` writes the counts as JSON for
 * scripts/test-all.mjs. Exit code 1 when a check failed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const args = process.argv.slice(2);
const reportFile = args.includes("--report") ? resolve(args[args.indexOf("--report") + 1]) : null;
const keep = args.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "maxsim-consumer-"));
const PACKAGES = ["core", "langchain", "llamaindex"];
const HOSTS = ["@langchain/core", "@llamaindex/core", "@llamaindex/env", "onnxruntime-node", "@huggingface/transformers"];
// ONNX Runtime's install script downloads through global-agent, which honours this: any download
// attempt fails, as on a machine where only the npm registry is reachable.
const INSTALL_ENV = {
  ...process.env,
  GLOBAL_AGENT_HTTPS_PROXY: "http://127.0.0.1:9",
  GLOBAL_AGENT_HTTP_PROXY: "http://127.0.0.1:9",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  FORCE_COLOR: "0",
};

const checks = [];
function record(name, ok, detail = "") {
  checks.push({ name, ok });
  console.log(`${ok ? "ok" : "FAIL"} ${name}${ok || detail === "" ? "" : `\n    ${detail.trim().split("\n").slice(-12).join("\n    ")}`}`);
}
function run(command, commandArgs, options = {}) {
  const started = Date.now();
  const r = spawnSync(command, commandArgs, { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (options.quiet !== true)
    console.log(`  $ ${[command, ...commandArgs].join(" ").slice(0, 160)}  (${((Date.now() - started) / 1000).toFixed(0)} s, exit ${r.status})`);
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", out };
}

/** The `<!-- install:<pm> -->` fenced block of a README, as lines (comments and blanks dropped). */
function installBlock(readme, pm) {
  const text = readFileSync(readme, "utf8");
  const m = new RegExp(`<!-- install:${pm} -->\\s*\`\`\`(?:bash|sh)\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (m === null) return null;
  return {
    raw: m[1],
    lines: m[1]
      .split("\n")
      .map((l) => l.replace(/\s+#.*$/, "").trim())
      .filter((l) => l !== "" && !l.startsWith("#")),
  };
}

/** A README line with each `@maxsim/<pkg>` argument replaced by its tarball. */
function withTarballs(line, tarballs) {
  return line.replace(/(?<=\s)@maxsim\/(core|langchain|llamaindex)(?=\s|$)/g, (_, name) => tarballs[name]);
}

/** Directories of every installed copy of `pkg` under an app (npm layout, or pnpm's .pnpm store). */
function copiesOf(app, pkg) {
  const found = [];
  const pnpmDir = join(app, "node_modules", ".pnpm");
  if (existsSync(pnpmDir)) {
    const prefix = `${pkg.replace("/", "+")}@`;
    for (const entry of readdirSync(pnpmDir)) if (entry.startsWith(prefix)) found.push(entry);
    return found;
  }
  const walk = (dir, depth) => {
    if (depth > 12 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith(".")) continue;
      const full = join(dir, entry);
      if (entry.startsWith("@")) {
        for (const sub of readdirSync(full)) visit(join(full, sub), `${entry}/${sub}`, depth);
      } else visit(full, entry, depth);
    }
  };
  const visit = (dir, name, depth) => {
    if (name === pkg && existsSync(join(dir, "package.json"))) found.push(dir);
    walk(join(dir, "node_modules"), depth + 1);
  };
  walk(join(app, "node_modules"), 0);
  return found;
}

function newApp(name, extra = {}) {
  const app = join(work, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name, private: true, type: "module", ...extra }, null, 2)}\n`);
  cpSync(join(root, "test/consumer/app.mjs"), join(app, "app.mjs"));
  mkdirSync(join(app, "docs"));
  writeFileSync(join(app, "docs/fr.txt"), "Le chat noir dort sur le canapé.");
  writeFileSync(join(app, "docs/de.txt"), "Der Hund bellt im Garten.");
  return app;
}

/** The consumer program, the CLI and the copy checks in an installed app. */
function exercise(app, pm) {
  const cuda = join(app, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so");
  record(`row 2 (${pm}): no CUDA binaries were downloaded`, !existsSync(cuda));
  for (const pkg of HOSTS) {
    const copies = copiesOf(app, pkg);
    record(`row 5 (${pm}): exactly one ${pkg}`, copies.length === 1, `found ${copies.length}: ${copies.join(", ")}`);
  }
  const hnsw = run(process.execPath, ["--input-type=module", "-e", "const m = await import('@maxsim/core'); console.log(JSON.stringify(m.hnswStatus()))"], {
    cwd: app,
  });
  record(
    `row 1 (${pm}): importing @maxsim/core needs no compiled addon (hnswlib-node not installed by default)`,
    hnsw.status === 0 && hnsw.stdout.includes('"available":false'),
    hnsw.out,
  );
  const program = run(process.execPath, ["app.mjs"], { cwd: app });
  for (const line of program.stdout.split("\n")) {
    const m = /^(ok|FAIL) (.*)$/.exec(line);
    if (m) record(`app (${pm}): ${m[2].replace(/ -- .*$/, "")}`, m[1] === "ok", m[2]);
  }
  record(`app (${pm}): the program ran to the end`, program.status === 0 && program.stdout.includes("app: all checks passed"), program.out);
  record(`row 5 (${pm}): no "already imported" warning`, !/already imported/i.test(program.out), program.out);
  const npx = (cliArgs) => run("npx", ["--no-install", "maxsim", ...cliArgs], { cwd: app });
  const help = npx(["--help"]);
  record(`row 1 (${pm}): npx maxsim --help`, help.status === 0 && help.stdout.includes("Usage: maxsim"), help.out);
  const version = npx(["--version"]);
  record(
    `row 8 (${pm}): maxsim --version`,
    version.status === 0 && version.stdout.trim() === JSON.parse(readFileSync(join(root, "packages/core/package.json"), "utf8")).version,
    version.out,
  );
  const info = npx(["info"]);
  record(
    `row 1 (${pm}): maxsim info says exact probing is active and how to enable hnswlib-node`,
    info.status === 0 && /"active": "exact/.test(info.stdout) && /approve-builds/.test(info.stdout),
    info.out,
  );
  const index = npx(["index", "idx", "--model", "fixture:multilingual", "docs"]);
  record(`row 8 (${pm}): maxsim index --model fixture:multilingual`, index.status === 0, index.out);
  const search = npx(["search", "idx", "dog", "--json", "-k", "1"]);
  let top = null;
  try {
    top = JSON.parse(search.stdout)[0]?.id ?? null;
  } catch {
    top = null;
  }
  record(`row 8 (${pm}): maxsim search finds the German dog passage`, search.status === 0 && top === "docs/de.txt", search.out);
}

try {
  // 1. Pack from an unbuilt state: prepack must build.
  for (const name of PACKAGES) rmSync(join(root, "packages", name, "dist"), { recursive: true, force: true });
  const tarballDir = join(work, "tarballs");
  mkdirSync(tarballDir);
  const tarballs = {};
  for (const name of PACKAGES) {
    const packed = run("pnpm", ["pack", "--pack-destination", tarballDir], { cwd: join(root, "packages", name) });
    const file = readdirSync(tarballDir).find((f) => f.startsWith(`maxsim-${name}-`) && f.endsWith(".tgz"));
    record(`row 4 (release): pnpm pack @maxsim/${name} from a clean tree`, packed.status === 0 && file !== undefined, packed.out);
    if (file === undefined) continue;
    tarballs[name] = join(tarballDir, file);
    const unpacked = join(work, "unpacked", name);
    mkdirSync(unpacked, { recursive: true });
    run("tar", ["-xzf", tarballs[name], "-C", unpacked], { quiet: true });
    const dir = join(unpacked, "package");
    const manifestText = readFileSync(join(dir, "package.json"), "utf8");
    const manifest = JSON.parse(manifestText);
    const problems = [];
    if (manifestText.includes("workspace:")) problems.push("a workspace: range");
    if (/"source"\s*:/.test(manifestText)) problems.push('a bare "source" export condition');
    if (!existsSync(join(dir, "dist/index.js"))) problems.push("no dist/index.js (prepack did not build)");
    for (const file of ["LICENSE", "README.md"]) if (!existsSync(join(dir, file))) problems.push(`no ${file}`);
    if (existsSync(join(dir, "LICENSE")) && !readFileSync(join(dir, "LICENSE"), "utf8").includes("Apache License\n                           Version 2.0"))
      problems.push("LICENSE is not the Apache-2.0 text");
    if (manifest.publishConfig?.access !== "public") problems.push("publishConfig.access is not public");
    for (const field of ["repository", "homepage", "bugs", "keywords", "license", "engines"]) if (manifest[field] === undefined) problems.push(`no ${field}`);
    if (manifest.engines?.node !== ">=20.19") problems.push(`engines.node ${manifest.engines?.node}, want >=20.19 (require(esm))`);
    record(`row 4/9 (release): the @maxsim/${name} tarball is publishable`, problems.length === 0, problems.join("; "));
  }
  const sizes = Object.values(tarballs).map((t) => `${t.split("/").pop()} ${(statSync(t).size / 1024).toFixed(0)} kB`);
  console.log(`  tarballs: ${sizes.join(", ")}`);

  // 2. The release script's dry run (publishes with pnpm, which rewrites workspace:^).
  // --ignore-scripts: the packs above already proved prepack builds; this checks what pnpm publishes.
  const release = run("pnpm", ["-s", "release", "--dry-run", "--ignore-scripts"], { cwd: root });
  record(
    "row 4 (release): pnpm release --dry-run publishes all three packages",
    release.status === 0 && PACKAGES.every((n) => release.out.includes(`@maxsim/${n}`)),
    release.out,
  );

  // 3. The READMEs' install blocks, root README carrying them verbatim.
  const rootReadme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = { npm: [], pnpm: [], yarn: [] };
  for (const pm of Object.keys(blocks)) {
    for (const name of PACKAGES) {
      const block = installBlock(join(root, "packages", name, "README.md"), pm);
      record(
        `README (${pm}): packages/${name}/README.md has an install block, repeated in the root README`,
        block !== null && rootReadme.includes(block.raw),
        block === null ? "no <!-- install:" + pm + " --> block" : "root README differs",
      );
      if (block !== null) blocks[pm].push({ readme: `packages/${name}/README.md`, lines: block.lines });
    }
  }
  /** Runs each README block as one bash script (so an `export` holds for the block), in order. */
  const installAll = (app, pm) => {
    for (const block of blocks[pm]) {
      const script = ["set -euo pipefail", ...block.lines.map((l) => withTarballs(l, tarballs))].join("\n");
      const r = run("bash", ["-c", script], { cwd: app, env: INSTALL_ENV });
      if (r.status !== 0) {
        record(`row 1/2 (${pm}): the install block of ${block.readme} succeeds with only the registry reachable`, false, r.out);
        return false;
      }
    }
    record(`row 1/2 (${pm}): every README install block succeeds with only the registry reachable`, true);
    return true;
  };

  if (Object.keys(tarballs).length === PACKAGES.length) {
    // 4a. npm.
    const npmApp = newApp("consumer-npm");
    const npmOk = installAll(npmApp, "npm");
    if (npmOk) {
      exercise(npmApp, "npm");
      // 4b. esbuild, with @maxsim/* bundled in (native and wasm runtimes stay external).
      const { build } = await import("esbuild");
      const outfile = join(npmApp, "bundle/app.mjs");
      let bundled = true;
      try {
        await build({
          entryPoints: [join(npmApp, "app.mjs")],
          absWorkingDir: npmApp,
          bundle: true,
          platform: "node",
          format: "esm",
          target: "node20",
          outfile,
          logLevel: "error",
          external: ["onnxruntime-node", "onnxruntime-web", "sharp", "hnswlib-node", "@huggingface/transformers", "tree-sitter", "web-tree-sitter"],
          banner: { js: 'import { createRequire as __maxsimCreateRequire } from "node:module"; const require = __maxsimCreateRequire(import.meta.url);' },
        });
      } catch (error) {
        bundled = false;
        record("row 3 (bundler): esbuild bundles the app with @maxsim/* inside", false, String(error));
      }
      if (bundled) {
        const text = readFileSync(outfile, "utf8");
        record("row 3 (bundler): esbuild bundles the app with @maxsim/* inside", text.includes("lfm2-checkpoint") && text.includes("pylate-onnx"));
        const r = run(process.execPath, [outfile], { cwd: npmApp });
        record(
          "row 3 (bundler): the bundled app finds the built-in layouts and passes every check",
          r.status === 0 && r.stdout.includes("app: all checks passed") && !r.out.includes("UNKNOWN_LAYOUT"),
          r.out,
        );
      }
    }

    // 4c. pnpm (10, defaults: no build script approved by hand).
    const pnpmApp = newApp("consumer-pnpm", { pnpm: { overrides: Object.fromEntries(PACKAGES.map((n) => [`@maxsim/${n}`, `file:${tarballs[n]}`])) } });
    const pnpmOk = installAll(pnpmApp, "pnpm");
    if (pnpmOk) {
      const manifest = JSON.parse(readFileSync(join(pnpmApp, "package.json"), "utf8"));
      record(
        "row 2 (pnpm): the app records onnxruntime-node in ignoredBuiltDependencies",
        manifest.pnpm?.ignoredBuiltDependencies?.includes("onnxruntime-node") === true,
        JSON.stringify(manifest.pnpm),
      );
      exercise(pnpmApp, "pnpm");
    }

    // 4d. yarn 1 (classic, run through npx: only the npm registry is needed), @maxsim/* pinned to
    // the tarballs with `resolutions`.
    const yarnApp = newApp("consumer-yarn", { resolutions: Object.fromEntries(PACKAGES.map((n) => [`@maxsim/${n}`, `file:${tarballs[n]}`])) });
    const shimDir = join(work, "yarn-shim");
    mkdirSync(shimDir, { recursive: true });
    writeFileSync(join(shimDir, "yarn"), '#!/usr/bin/env bash\nexec npx --yes yarn@1.22.22 "$@"\n', { mode: 0o755 });
    INSTALL_ENV.PATH = `${shimDir}:${process.env.PATH}`;
    // A cache of this run's own: yarn 1 keeps file: tarballs by name and version, and served a
    // rebuilt @maxsim/langchain@0.1.0 from an earlier run's entry.
    INSTALL_ENV.YARN_CACHE_FOLDER = join(work, "yarn-cache");
    if (installAll(yarnApp, "yarn")) exercise(yarnApp, "yarn");
  }
} catch (error) {
  record("the consumer test itself ran", false, String(error?.stack ?? error));
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`  kept ${work}`);
}

const passed = checks.filter((c) => c.ok).length;
const failed = checks.length - passed;
console.log(`consumer: ${passed} passed, ${failed} failed`);
if (reportFile !== null) writeFileSync(reportFile, `${JSON.stringify({ passed, failed, checks }, null, 2)}\n`);
process.exit(failed === 0 ? 0 : 1);
