import { describe, expect, it } from "vitest";
import { compileFilter, parseFilterJson } from "../../src/collection/filter.js";
import type { Filter, Metadata } from "../../src/collection/filter.js";
import { MaxsimError } from "../../src/errors.js";

const docs: [string, Metadata][] = [
  ["a", { lang: "fr", year: 2019, tags: ["news", "eu"], author: { name: "Ana" } }],
  ["b", { lang: "de", year: 2021, tags: ["blog"] }],
  ["c", { lang: "en", year: 2023, draft: true }],
  ["d", { lang: "fr", year: "2020" }],
  ["e", {}],
];

function pass(filter: Filter): string[] {
  const p = compileFilter(filter);
  return docs.filter(([id, m]) => p(m, id)).map(([id]) => id);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return MaxsimError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return undefined;
}

describe("compileFilter", () => {
  it("equality shorthand, $eq and $ne (missing fields are not equal)", () => {
    expect(pass({ lang: "fr" })).toEqual(["a", "d"]);
    expect(pass({ lang: { $eq: "de" } })).toEqual(["b"]);
    expect(pass({ lang: { $ne: "fr" } })).toEqual(["b", "c", "e"]);
    expect(pass({ draft: true })).toEqual(["c"]);
    expect(pass({ draft: null })).toEqual(["a", "b", "d", "e"]);
  });

  it("ordered comparisons only between values of the same type", () => {
    expect(pass({ year: { $gt: 2019 } })).toEqual(["b", "c"]);
    expect(pass({ year: { $gte: 2019, $lt: 2023 } })).toEqual(["a", "b"]);
    expect(pass({ year: { $lte: 2019 } })).toEqual(["a"]);
    expect(pass({ year: { $gte: "2020" } })).toEqual(["d"]);
  });

  it("$in / $nin, array fields match any element", () => {
    expect(pass({ lang: { $in: ["de", "en"] } })).toEqual(["b", "c"]);
    expect(pass({ lang: { $nin: ["de", "en"] } })).toEqual(["a", "d", "e"]);
    expect(pass({ tags: "eu" })).toEqual(["a"]);
    expect(pass({ tags: { $in: ["blog", "x"] } })).toEqual(["b"]);
  });

  it("$contains: substring of a string field, strict membership in an array field, nothing else", () => {
    expect(pass({ lang: { $contains: "r" } })).toEqual(["a", "d"]);
    expect(pass({ lang: { $contains: "" } })).toEqual(["a", "b", "c", "d"]);
    expect(pass({ lang: { $contains: "FR" } })).toEqual([]);
    expect(pass({ tags: { $contains: "eu" } })).toEqual(["a"]);
    expect(pass({ tags: { $contains: "e" } })).toEqual([]);
    // a number field is neither a string nor an array; a string field never contains a number
    expect(pass({ year: { $contains: 2019 } })).toEqual([]);
    expect(pass({ year: { $contains: "20" } })).toEqual(["d"]);
    expect(pass({ "author.name": { $contains: "An" } })).toEqual(["a"]);
    expect(compileFilter({ n: { $contains: 2 } })({ n: [1, 2] }, "x")).toBe(true);
    expect(compileFilter({ n: { $contains: 2 } })({ n: ["2"] }, "x")).toBe(false);
    expect(code(() => compileFilter({ tags: { $contains: ["eu"] } } as unknown as Filter))).toMatch(
      /^INVALID_FILTER: .*\$contains on "tags" needs a string, number or boolean/,
    );
    expect(code(() => compileFilter({ tags: { $contains: null } } as unknown as Filter))).toMatch(/\$contains on "tags"/);
  });

  it("$and / $or, several keys AND-ed, nested paths, predicates", () => {
    expect(pass({ $or: [{ lang: "de" }, { year: { $gte: 2023 } }] })).toEqual(["b", "c"]);
    expect(pass({ $and: [{ lang: "fr" }, { year: { $lt: 2020 } }] })).toEqual(["a"]);
    expect(pass({ lang: "fr", year: 2019 })).toEqual(["a"]);
    expect(pass({ "author.name": "Ana" })).toEqual(["a"]);
    expect(pass({})).toEqual(["a", "b", "c", "d", "e"]);
    expect(pass((m, id) => id === "e" || m.lang === "en")).toEqual(["c", "e"]);
  });

  it("malformed filters name the bad operator or field and the valid ones", () => {
    const e1 = code(() => compileFilter({ year: { $gtt: 1 } } as unknown as Filter));
    expect(e1).toMatch(/^INVALID_FILTER: .*unknown operator "\$gtt" on field "year".*\$gte/);
    expect(code(() => compileFilter({ $not: [] } as unknown as Filter))).toMatch(/unknown top-level operator "\$not"/);
    expect(code(() => compileFilter({ lang: ["fr"] } as unknown as Filter))).toMatch(/field "lang" has an array value.*\$in/);
    expect(code(() => compileFilter({ lang: { $in: "fr" } } as unknown as Filter))).toMatch(/\$in on "lang" needs an array/);
    expect(code(() => compileFilter({ $or: [] }))).toMatch(/\$or needs a non-empty array/);
    expect(code(() => compileFilter({ year: { $gt: {} } } as unknown as Filter))).toMatch(/\$gt on "year" needs a number or a string/);
    expect(code(() => parseFilterJson("{lang:"))).toMatch(/^INVALID_FILTER: Invalid filter: not valid JSON/);
    expect(code(() => parseFilterJson("[1]"))).toMatch(/^INVALID_FILTER: .*must be an object, got an array/);
    expect(parseFilterJson('{"lang":"fr"}')).toEqual({ lang: "fr" });
  });
});
