import { describe, expect, it } from "vitest";
import { highlight, mergeSpans } from "../../src/collection/highlight.js";
import { alignTokens, isTextToken } from "../../src/collection/spans.js";

describe("alignTokens", () => {
  it("aligns WordPiece tokens, skipping specials and prefixes", () => {
    const text = "Le Chat dort.";
    const spans = alignTokens(text, ["[CLS]", "[D]", "le", "chat", "do", "##rt", ".", "[SEP]"]);
    expect(spans).toEqual([null, null, [0, 2], [3, 7], [8, 10], [10, 12], [12, 13], null]);
    expect(text.slice(...spans[3]!)).toBe("Chat");
  });

  it("maps accent-stripped tokens back to the accented original", () => {
    const text = "Un café à Besançon";
    const spans = alignTokens(text, ["un", "cafe", "a", "besancon"]);
    expect(spans.map((s) => (s ? text.slice(...s) : null))).toEqual(["Un", "café", "à", "Besançon"]);
  });

  it("decodes byte-level BPE strings (Ġ marks a space, multi-byte characters)", () => {
    const text = "Der Bär schläft";
    // "Ġ" + bytes of "Bär" in GPT-2's byte-to-unicode alphabet: ä = C3 A4 → "Ã¤".
    const spans = alignTokens(text, ["<|startoftext|>", "Der", "ĠB", "Ã¤r", "Ġschl", "Ã¤ft", "<|im_end|>"]);
    expect(spans.map((s) => (s ? text.slice(...s) : null))).toEqual([null, "Der", "B", "är", "schl", "äft", null]);
  });

  it("a token that is not in the text gets null without derailing the rest", () => {
    const text = "alpha beta gamma";
    expect(alignTokens(text, ["alpha", "[UNK]", "zeta", "gamma"])).toEqual([[0, 5], null, null, [11, 16]]);
  });

  it("CJK characters one token each", () => {
    const text = "猫は寝ている";
    expect(alignTokens(text, ["猫", "は", "寝"])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it("isTextToken", () => {
    expect(["chat", "##s", "Ġchat", "猫"].map(isTextToken)).toEqual([true, true, true, true]);
    expect(["[Q]", "[Q] ", "[MASK]", "<|pad|>", ".", "Ġ,"].map(isTextToken)).toEqual([false, false, false, false, false, false]);
  });
});

describe("highlight", () => {
  it("merges touching spans and wraps them", () => {
    expect(
      mergeSpans([
        [10, 12],
        [8, 10],
        [0, 2],
        [1, 3],
      ]),
    ).toEqual([
      [0, 3],
      [8, 12],
    ]);
    expect(highlight("Le chat dort.", [{ span: [8, 10] }, { span: [10, 12] }, { span: null }, { span: [3, 7] }])).toBe("Le «chat» «dort».");
    expect(highlight("Le chat dort.", [{ span: [3, 7] }], { style: "ansi" })).toBe("Le \x1b[1mchat\x1b[22m dort.");
    expect(
      highlight(
        "abc",
        [
          { span: [0, 1], score: 0.1 },
          { span: [2, 3], score: 0.9 },
        ],
        { minScore: 0.5 },
      ),
    ).toBe("ab«c»");
    expect(highlight("", [])).toBe("");
  });

  it("by default skips a one-letter piece of a spaced word but marks one-character words of unspaced scripts", () => {
    // "lu«i»" (a piece of the French word) and "ك«ل»" (of an Arabic word) are not marked ...
    expect(highlight("chien et lui", [{ span: [11, 12], score: 0.9 }])).toBe("chien et lui");
    expect(highlight("كلب", [{ span: [1, 2], score: 0.9 }])).toBe("كلب");
    // ... while 飞 and 机 are each a token of 飞机 (plane), and ね a Japanese particle-sized word.
    expect(
      highlight("我坐飞机去", [
        { span: [2, 3], score: 0.9 },
        { span: [3, 4], score: 0.9 },
      ]),
    ).toBe("我坐«飞机»去");
    expect(highlight("ねこ", [{ span: [0, 1], score: 0.9 }])).toBe("«ね»こ");
  });
});

describe("alignTokens on single-byte BPE pieces", () => {
  it("maps partial UTF-8 bytes to the character that holds them", () => {
    const text = "Der Bär schläft";
    const tokens = ["<|startoftext|>", "[D] ", "D", "e", "r", "Ġ", "B", "Ã", "¤", "r", "Ġs", "ch", "l", "Ã", "¤", "f", "t"];
    const spans = alignTokens(text, tokens);
    expect(spans.map((s) => (s ? text.slice(...s) : null))).toEqual([null, null, "D", "e", "r", " ", "B", "ä", "ä", "r", "s", "ch", "l", "ä", "ä", "f", "t"]);
  });

  it("WordPiece pieces with accents stay in character mode", () => {
    const text = "sur le canapé";
    expect(alignTokens(text, ["sur", "le", "can", "##a", "##pé"]).map((s) => (s ? text.slice(...s) : null))).toEqual(["sur", "le", "can", "a", "pé"]);
  });
});
