import { describe, expect, it } from "vitest";
import { highlightSpans, snippet } from "../../src/cli/commands/search.js";
import type { Explanation } from "../../src/collection/types.js";

describe("search output helpers", () => {
  it("highlightSpans keeps real word matches above the score threshold, merged", () => {
    const e: Explanation = {
      id: "x",
      score: 0,
      matches: [
        { queryIndex: 0, queryToken: "[CLS]", docIndex: 0, docToken: "[CLS]", score: 1, span: null },
        { queryIndex: 1, queryToken: "[Q] ", docIndex: 2, docToken: "le", score: 0.9, span: [0, 2] },
        { queryIndex: 2, queryToken: "cat", docIndex: 3, docToken: "chat", score: 0.95, span: [3, 7] },
        { queryIndex: 3, queryToken: "sleep", docIndex: 4, docToken: "do", score: 0.7, span: [8, 10] },
        { queryIndex: 4, queryToken: "sleep", docIndex: 5, docToken: "##rt", score: 0.6, span: [10, 12] },
        { queryIndex: 5, queryToken: "black", docIndex: 2, docToken: "le", score: 0.2, span: [0, 2] },
        { queryIndex: 6, queryToken: "[MASK]", docIndex: 3, docToken: "chat", score: 0.99, span: [3, 7] },
      ],
    };
    expect(highlightSpans(e)).toEqual([
      [3, 7],
      [8, 12],
    ]);
    expect(highlightSpans(e, 0.8)).toEqual([[3, 7]]);
  });

  it("snippet windows long texts around the first match and collapses whitespace", () => {
    const text = `${"intro ".repeat(40)}Le chat\n\n dort. ${"outro ".repeat(40)}`;
    const at = text.indexOf("chat");
    const s = snippet(text, [[at, at + 4]], 60, "brackets");
    expect(s.startsWith("…")).toBe(true);
    expect(s.endsWith("…")).toBe(true);
    expect(s).toContain("Le «chat» dort.");
    expect(s.length).toBeLessThanOrEqual(62);
    expect(snippet("Le chat dort.", [[3, 7]], 240, "ansi")).toBe("Le \x1b[1mchat\x1b[22m dort.");
    expect(snippet("short", [], 240, "brackets")).toBe("short");
  });
});
