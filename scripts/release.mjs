#!/usr/bin/env node
// Publishes every package under packages/ (@maxsim/core, langchain, llamaindex, lancedb) with pnpm, which rewrites
// their `workspace:^` ranges to the real versions (npm publish from a package folder would ship
// `workspace:^` and users would get EUNSUPPORTEDPROTOCOL). Each package's `prepack` builds it
// first, and `publishConfig.access: public` publishes the scoped packages publicly.
//
//   pnpm release              publish (pnpm's git checks: clean tree on main)
//   pnpm release --dry-run    what CI runs: builds, packs and lists what would be published
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");
const rest = args.filter((a) => a !== "--dry-run");
const r = spawnSync("pnpm", ["-r", "--filter", "./packages/*", "publish", "--access", "public", ...(dryRun ? ["--dry-run", "--no-git-checks"] : []), ...rest], {
  cwd: new URL("..", import.meta.url).pathname,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
