import { MaxsimError, compileFilter, parseFilterJson } from "@maxsim/core";
import type { MetadataFilters } from "llamaindex";
import { describe, expect, it } from "vitest";
import { toCoreFilter } from "../src/index.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return MaxsimError.isInstance(error) ? error.code : `not a MaxsimError: ${String(error)}`;
  }
  return undefined;
}

describe("toCoreFilter", () => {
  it("translates each operator to core's filter language", () => {
    const one = (operator: MetadataFilters["filters"][number]["operator"], value: string | number | string[] | number[]) =>
      toCoreFilter({ filters: [{ key: "k", value, operator }] });
    expect(one("==", "a")).toEqual({ k: { $eq: "a" } });
    expect(one("!=", "a")).toEqual({ k: { $nin: ["a", null] } });
    expect(one(">", 1)).toEqual({ k: { $gt: 1 } });
    expect(one("<", 1)).toEqual({ k: { $lt: 1 } });
    expect(one(">=", 1)).toEqual({ k: { $gte: 1 } });
    expect(one("<=", 1)).toEqual({ k: { $lte: 1 } });
    expect(one("in", ["a", "b"])).toEqual({ k: { $in: ["a", "b"] } });
    expect(one("nin", [1, 2])).toEqual({ k: { $nin: [1, 2, null] } });
    expect(one("contains", "a")).toEqual({ k: { $eq: "a" } });
    expect(one("any", ["a", "b"])).toEqual({ k: { $in: ["a", "b"] } });
    expect(one("all", ["a", "b"])).toEqual({ $and: [{ k: { $eq: "a" } }, { k: { $eq: "b" } }] });
    expect(one("text_match", "ab")).toEqual({ k: { $contains: "ab" } });
  });

  it("combines with and (default) / or, and gives undefined for no filters", () => {
    const filters: MetadataFilters["filters"] = [
      { key: "lang", value: "de", operator: "==" },
      { key: "year", value: 2020, operator: ">" },
    ];
    expect(toCoreFilter({ filters })).toEqual({ $and: [{ lang: { $eq: "de" } }, { year: { $gt: 2020 } }] });
    expect(toCoreFilter({ filters, condition: "or" })).toEqual({ $or: [{ lang: { $eq: "de" } }, { year: { $gt: 2020 } }] });
    expect(toCoreFilter({ filters: [] })).toBeUndefined();
    expect(toCoreFilter(undefined)).toBeUndefined();
  });

  it("evaluates like LlamaIndex on missing keys, arrays and substrings", () => {
    const pass = (filters: MetadataFilters, metadata: Record<string, unknown>) => compileFilter(toCoreFilter(filters)!)(metadata, "id");
    expect(pass({ filters: [{ key: "k", value: "a", operator: "!=" }] }, {})).toBe(false);
    expect(pass({ filters: [{ key: "k", value: "a", operator: "!=" }] }, { k: "b" })).toBe(true);
    expect(pass({ filters: [{ key: "k", value: ["a"], operator: "nin" }] }, {})).toBe(false);
    expect(pass({ filters: [{ key: "t", value: "x", operator: "contains" }] }, { t: ["y", "x"] })).toBe(true);
    expect(pass({ filters: [{ key: "t", value: ["x", "z"], operator: "all" }] }, { t: ["y", "x"] })).toBe(false);
    expect(pass({ filters: [{ key: "s", value: "ell", operator: "text_match" }] }, { s: "hello" })).toBe(true);
    // LlamaIndex's text_match is `metadata[key].includes(value)`: an element of an array, not a substring of one
    expect(pass({ filters: [{ key: "s", value: "ell", operator: "text_match" }] }, { s: ["hello"] })).toBe(false);
    expect(pass({ filters: [{ key: "s", value: "ell", operator: "text_match" }] }, { s: ["ell", "o"] })).toBe(true);
    expect(pass({ filters: [{ key: "s", value: "ell", operator: "text_match" }] }, {})).toBe(false);
    const mixed: MetadataFilters = {
      filters: [
        { key: "s", value: "ell", operator: "text_match" },
        { key: "n", value: 3, operator: ">=" },
      ],
      condition: "or",
    };
    expect(pass(mixed, { s: "no", n: 3 })).toBe(true);
    expect(pass(mixed, { s: "no", n: 2 })).toBe(false);
    expect(pass({ ...mixed, condition: "and" }, { s: "hello", n: 2 })).toBe(false);
  });

  it("is plain JSON for every operator, also when text_match is combined (it round-trips through parseFilterJson)", () => {
    const filters: MetadataFilters = {
      filters: [
        { key: "s", value: "ell", operator: "text_match" },
        { key: "n", value: 3, operator: ">=" },
      ],
      condition: "or",
    };
    const filter = toCoreFilter(filters)!;
    expect(typeof filter).toBe("object");
    expect(parseFilterJson(JSON.stringify(filter))).toEqual({ $or: [{ s: { $contains: "ell" } }, { n: { $gte: 3 } }] });
  });

  it("rejects what does not map with INVALID_FILTER", () => {
    expect(codeOf(() => toCoreFilter({ filters: [{ key: "k", operator: "is_empty" }] }))).toBe("INVALID_FILTER");
    expect(codeOf(() => toCoreFilter({ filters: [{ key: "k", value: ["a"], operator: "==" }] }))).toBe("INVALID_FILTER");
    expect(codeOf(() => toCoreFilter({ filters: [{ key: "k", value: "a", operator: "in" }] }))).toBe("INVALID_FILTER");
    expect(codeOf(() => toCoreFilter({ filters: [{ key: "k", value: [], operator: "all" }] }))).toBe("INVALID_FILTER");
    expect(codeOf(() => toCoreFilter({ filters: [{ key: "k", value: "a", operator: "==" }], condition: "xor" as "and" }))).toBe("INVALID_FILTER");
  });
});
