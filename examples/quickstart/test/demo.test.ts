// Runs the README demo as a user does (a child process, stdout not a TTY) and checks what it
// prints: every question's best passage is the one written to answer it, in another language.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Collection } from "@maxsim/core";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PASSAGES, QUESTIONS } from "../src/corpus.js";

const dir = fileURLToPath(new URL("..", import.meta.url));

// The demo must show the default model's offline path, whatever the caller's shell sets.
const env = { ...process.env };
delete env.MAXSIM_MODEL;

describe("pnpm demo", () => {
  const run = spawnSync("pnpm", ["exec", "tsx", "--conditions=@maxsim/source", "src/main.ts"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 240_000,
    env,
  });
  const lines = run.stdout.split("\n");

  it("exits 0 and says in one line that it fell back to the offline fixture", () => {
    expect(run.status, run.stderr).toBe(0);
    const notices = lines.filter((l) => l.includes("is not available here"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("LiquidAI/LFM2-ColBERT-350M");
  });

  it("shows the per-token vectors and indexes every passage", () => {
    expect(run.stdout).toMatch(/→ \d+ token vectors × \d+ dims/);
    expect(run.stdout).toContain(`indexed ${PASSAGES.length} passages in 9 languages`);
  });

  it.each(QUESTIONS.map((q) => [q.lang, q.text, q.answer] as const))("[%s] %s → %s first, in another language", (lang, text, answer) => {
    const at = lines.indexOf(`[${lang}] ${text}`);
    expect(at).toBeGreaterThanOrEqual(0);
    const first = lines[at + 1] ?? "";
    expect(first).toMatch(new RegExp(`^\\s+1\\.\\s+-?\\d+\\.\\d\\d\\s+${answer}\\s`));
    expect(answer.startsWith(`${lang}-`)).toBe(false);
    // Ranked best first, with highlighted matched words.
    const scores = [1, 2, 3].map((i) => Number(/^\s+\d\.\s+(-?\d+\.\d+)/.exec(lines[at + i] ?? "")?.[1]));
    expect(scores[0]).toBeGreaterThanOrEqual(scores[1]!);
    expect(scores[1]).toBeGreaterThanOrEqual(scores[2]!);
    expect(first).toMatch(/«[^»]+»/);
  });

  it("filters on metadata", () => {
    expect(run.stdout).toMatch(/filter \{lang: "zh"\} for .* → zh-\w+ \(/);
  });
});

describe("pnpm demo --save <dir>", () => {
  it("leaves the demo collection on disk for `maxsim serve`", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "maxsim-demo-"));
    try {
      const run = spawnSync("pnpm", ["exec", "tsx", "--conditions=@maxsim/source", "src/main.ts", "--save", path.join(tmp, "demo-index")], {
        cwd: dir,
        encoding: "utf8",
        timeout: 240_000,
        env,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`browse it with: pnpm -s maxsim serve ${path.join(tmp, "demo-index")}`);
      const c = await Collection.open(path.join(tmp, "demo-index"), { readOnly: true });
      try {
        expect(c.size).toBe(PASSAGES.length);
        expect((await c.getDocuments([PASSAGES[0]!.id]))[0]?.text).toBe(PASSAGES[0]!.text);
      } finally {
        await c.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
