// Runs the example as a user would (offline: no OPENAI_API_KEY, no hub) and checks what it prints:
// the one-line fixture notice, and for every question the ranked passages with descending scores,
// the expected passage first, and the extractive answer quoting it.
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PASSAGES, QUESTIONS } from "../src/corpus.js";

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describe("examples/langchain-multilingual-rag", () => {
  it("answers every question from its translation-equivalent passage on the offline path", async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    delete env.MAXSIM_MODEL;
    const { stdout } = await run(process.execPath, [tsxCli, "--conditions=@maxsim/source", main], { env, timeout: 240_000 });
    const lines = stdout.split("\n");

    const notices = lines.filter((l) => l.includes("fixture model instead"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^maxsim: LiquidAI\/LFM2-ColBERT-350M is not available here \((HUB_OFFLINE|UNSUPPORTED_MODEL|MODEL_NOT_FOUND)\)/);
    expect(stdout).toContain(`Indexed ${PASSAGES.length} passages (en, fr, de, es, zh, ar)`);

    for (const question of QUESTIONS) {
      const at = lines.indexOf(`Q [${question.lang}] ${question.text}`);
      expect(at, `question ${question.text} printed`).toBeGreaterThan(-1);
      const ranked = lines.slice(at + 1, at + 4).map((line) => /^ {2}(\d)\. (\S+) \[(\w+)\] score=(-?[\d.]+) {2}(.*)$/.exec(line));
      expect(
        ranked.every((m) => m !== null),
        `three ranked passages after ${question.text}`,
      ).toBe(true);
      const rows = ranked.map((m) => ({ rank: Number(m![1]), id: m![2]!, lang: m![3]!, score: Number(m![4]), text: m![5]! }));
      expect(rows.map((r) => r.rank)).toEqual([1, 2, 3]);
      expect(rows[0]!.id, `best passage for ${question.text}`).toBe(question.answer);
      for (const row of rows) {
        const passage = PASSAGES.find((p) => p.id === row.id)!;
        expect([row.lang, row.text]).toEqual([passage.lang, passage.text]);
      }
      expect(rows[0]!.score).toBeGreaterThan(rows[1]!.score);
      expect(rows[1]!.score).toBeGreaterThanOrEqual(rows[2]!.score);
      const best = PASSAGES.find((p) => p.id === question.answer)!;
      expect(lines[at + 4]).toBe(`  A: "${best.text}" [${best.id}]`);
    }
  });

  it("answers with ChatOpenAI when OPENAI_API_KEY and OPENAI_BASE_URL point at an OpenAI-compatible endpoint", async () => {
    // A local stand-in for the endpoint: it records each request and answers with the first
    // passage id it finds in the prompt, so the answer proves the retrieved context reached it.
    const requests: { model: string; messages: { role: string; content: string }[] }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const request = JSON.parse(body) as (typeof requests)[number];
        requests.push(request);
        const cited = /\[([a-z]{2}-[a-z]+)\]/.exec(request.messages[0]?.content ?? "")?.[1] ?? "none";
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: "chat.completion",
            created: 0,
            model: request.model,
            choices: [{ index: 0, message: { role: "assistant", content: `answered from ${cited}` }, finish_reason: "stop" }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_MODEL: "test-model" };
      delete env.MAXSIM_MODEL;
      const { stdout } = await run(process.execPath, [tsxCli, "--conditions=@maxsim/source", main], { env, timeout: 240_000 });
      expect(stdout).toContain(`Answers: test-model via http://127.0.0.1:${port}/v1.`);
      expect(requests).toHaveLength(QUESTIONS.length);
      const lines = stdout.split("\n");
      QUESTIONS.forEach((question, i) => {
        const request = requests[i]!;
        expect(request.model).toBe("test-model");
        expect(request.messages.map((m) => m.role)).toEqual(["system", "user"]);
        expect(request.messages[1]!.content).toBe(question.text);
        const best = PASSAGES.find((p) => p.id === question.answer)!;
        expect(request.messages[0]!.content).toContain(`[${best.id}] ${best.text}`);
        const at = lines.indexOf(`Q [${question.lang}] ${question.text}`);
        expect(lines[at + 4]).toBe(`  A: answered from ${question.answer}`);
      });
    } finally {
      server.close();
    }
  });
});
