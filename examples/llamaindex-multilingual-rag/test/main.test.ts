// Runs the example the way a user does (tsx, workspace sources), offline: no hub, no OpenAI key,
// so the fixture model and the extractive fallback answer. Checks what it prints.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHAT_TURNS, PASSAGES, QUESTIONS } from "../src/passages.js";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

function run(extraEnv: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const env: Record<string, string | undefined> = { ...process.env, MAXSIM_OFFLINE: "1", ...extraEnv };
  delete env.OPENAI_API_KEY;
  delete env.MAXSIM_MODEL;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", "src/main.ts"], { cwd: exampleDir, env, encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The lines after `header` up to the next blank line. */
function block(lines: string[], header: string): string[] {
  const start = lines.indexOf(header);
  expect(start, `missing line ${JSON.stringify(header)}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => !l.startsWith("  "));
  return [...rest.slice(0, end), rest[end] ?? ""];
}

const textOf = (id: string): string => PASSAGES.find((p) => p.id === id)!.text;

describe("examples/llamaindex-multilingual-rag", () => {
  it("answers questions in other languages from the right passages through both engines, offline", () => {
    const { stdout, stderr, status } = run({ MAXSIM_SHARED: "/nonexistent-maxsim-shared" });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const lines = stdout.split("\n");
    const notices = lines.filter((l) => l.includes("is not available here"));
    if (lines.includes("model: LiquidAI/LFM2-ColBERT-350M")) {
      // The real model is in this machine's cache: no fallback, no notice.
      expect(notices).toEqual([]);
    } else {
      expect(lines).toContain("model: multilingual fixture (offline)");
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/LiquidAI\/LFM2-ColBERT-350M is not available here \(HUB_OFFLINE\); using the bundled offline fixture model instead/);
    }
    expect(lines.some((l) => l.startsWith("llm: extractive fallback"))).toBe(true);
    expect(lines).toContain("indexed 8 passages in zh, ar, es, fr (8 nodes)");

    for (const q of QUESTIONS) {
      const [first, second, third, answer] = block(lines, `Q [${q.lang}] ${q.text}`);
      expect(first).toContain(` ${q.expected}  ${textOf(q.expected)}`);
      expect(second).toMatch(/^ {2}2\. /);
      expect(third).toMatch(/^ {2}3\. /);
      const score = (l: string | undefined): number => Number(l!.slice(l!.indexOf("]") + 1).trim().split(/\s+/)[0]);
      expect(score(first)).toBeGreaterThan(score(second));
      expect(score(second)).toBeGreaterThanOrEqual(score(third));
      expect(answer).toBe(`A: The best source says: "${textOf(q.expected)}"`);
    }
    for (const t of CHAT_TURNS) {
      const out = block(lines, `you [${t.lang}]: ${t.text}`);
      expect(out[0]).toContain(` ${t.expected}  ${textOf(t.expected)}`);
      expect(out.at(-1)).toBe(`assistant: The best source says: "${textOf(t.expected)}"`);
    }
    expect(lines).toContain("skipped XQuAD part: /nonexistent-maxsim-shared/data/xquad not found (set MAXSIM_SHARED to the folder holding data/xquad)");
  });

  it("runs the XQuAD part when ../shared/data/xquad is present", (ctx) => {
    const { stdout, status } = run({});
    expect(status).toBe(0);
    if (stdout.includes("skipped XQuAD part")) ctx.skip();
    expect(stdout).toContain("indexed 8 XQuAD paragraphs (articles 0-3 in zh, 4-7 in ar)");
    expect(stdout.match(/^right paragraph at rank [1-8] of 8$/gm)).toHaveLength(2);
  });
});
