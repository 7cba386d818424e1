// Runs the example the way a user does (tsx, workspace sources), offline: no hub, no OpenAI key,
// so the fixture model and the extractive fallback answer. Checks what it prints.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHAT_TURNS, PASSAGES, QUESTIONS } from "../src/passages.js";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

function run(extraEnv: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const env: Record<string, string | undefined> = { ...process.env, MAXSIM_OFFLINE: "1", ...extraEnv };
  delete env.OPENAI_API_KEY;
  delete env.MAXSIM_MODEL;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=@maxsim/source", "src/main.ts"], { cwd: exampleDir, env, encoding: "utf8" });
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
      const score = (l: string | undefined): number =>
        Number(
          l!
            .slice(l!.indexOf("]") + 1)
            .trim()
            .split(/\s+/)[0],
        );
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

  it("answers through an OpenAI-compatible endpoint when OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL are set", async () => {
    // A local stand-in for the endpoint: records each request, answers with a fixed completion.
    const requests: { auth: string | undefined; body: { model: string; messages: { role: string; content: unknown }[] } }[] = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        requests.push({ auth: req.headers.authorization, body: JSON.parse(raw) as (typeof requests)[number]["body"] });
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: "chat.completion",
            created: 0,
            model: "local-test-model",
            choices: [{ index: 0, message: { role: "assistant", content: `endpoint answer ${requests.length}` }, finish_reason: "stop" }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const { port } = server.address() as AddressInfo;
    try {
      const env: Record<string, string | undefined> = {
        ...process.env,
        MAXSIM_OFFLINE: "1",
        MAXSIM_SHARED: "/nonexistent-maxsim-shared",
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
        OPENAI_MODEL: "local-test-model",
      };
      delete env.MAXSIM_MODEL;
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@maxsim/source", "src/main.ts"], { cwd: exampleDir, env });
      let stdout = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      const status = await new Promise<number | null>((ok) => child.on("close", ok));
      expect(status).toBe(0);
      expect(stdout).toContain(`llm: local-test-model via http://127.0.0.1:${port}/v1`);
      // Three questions and two chat turns, each one request with the retrieved passage in it.
      expect(requests).toHaveLength(QUESTIONS.length + CHAT_TURNS.length);
      for (const r of requests) {
        expect(r.auth).toBe("Bearer sk-test");
        expect(r.body.model).toBe("local-test-model");
      }
      [...QUESTIONS, ...CHAT_TURNS].forEach((q, i) =>
        expect(JSON.stringify(requests[i]!.body.messages)).toContain(JSON.stringify(textOf(q.expected)).slice(1, -1)),
      );
      expect(stdout).toContain("A: endpoint answer 1");
      expect(stdout).toContain(`assistant: endpoint answer ${QUESTIONS.length + CHAT_TURNS.length}`);
    } finally {
      server.close();
    }
  });

  it("runs the XQuAD part when ../shared/data/xquad is present", (ctx) => {
    const { stdout, status } = run({});
    expect(status).toBe(0);
    if (stdout.includes("skipped XQuAD part")) ctx.skip();
    expect(stdout).toContain("indexed 8 XQuAD paragraphs (articles 0-3 in zh, 4-7 in ar)");
    expect(stdout.match(/^right paragraph at rank [1-8] of 8$/gm)).toHaveLength(2);
  });
});
