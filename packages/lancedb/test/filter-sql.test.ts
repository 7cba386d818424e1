// Filter → LanceDB SQL: exact clauses on toy inputs, and an injection test on a real table whose
// metadata keys and values, and filter values, are full of quotes, comments and semicolons.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT, Collection, MaxsimError } from "@maxsim/core";
import type { DocumentInput, MetadataFilter } from "@maxsim/core";
import { ensureFixtures } from "@maxsim/core/fixtures";
import { LanceCollection, metaColumn, sqlString, toLanceWhere } from "../src/index.js";

describe("toLanceWhere", () => {
  const all = () => true;
  it("quotes strings by doubling single quotes and names columns by hex path", () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(metaColumn("s", "lang")).toBe("m_s_6c616e67");
    expect(toLanceWhere({ lang: "fr" }, all)).toBe("COALESCE(array_has(`m_s_6c616e67`, 'fr'), FALSE)");
    expect(toLanceWhere({ "x`; DROP": "a' OR '1'='1" }, all)).toBe(`COALESCE(array_has(\`${metaColumn("s", "x`; DROP")}\`, 'a'' OR ''1''=''1'), FALSE)`);
  });
  it("writes numbers, booleans, ranges, negations and logic", () => {
    expect(toLanceWhere({ n: { $gte: 2.5 } }, all)).toBe("COALESCE(array_max(`m_n_6e`) >= 2.5, FALSE)");
    expect(toLanceWhere({ n: { $lt: -1 } }, all)).toBe("COALESCE(array_min(`m_n_6e`) < -1, FALSE)");
    expect(toLanceWhere({ b: true }, all)).toBe("COALESCE(array_has(`m_b_62`, TRUE), FALSE)");
    expect(toLanceWhere({ b: { $ne: true } }, all)).toBe("NOT (COALESCE(array_has(`m_b_62`, TRUE), FALSE))");
    expect(toLanceWhere({ $or: [{ b: true }, { n: 1 }] }, all)).toBe(
      "((COALESCE(array_has(`m_b_62`, TRUE), FALSE)) OR (COALESCE(array_has(`m_n_6e`, 1), FALSE)))",
    );
    expect(toLanceWhere({}, all)).toBe("TRUE");
  });
  it("refuses malformed filters with INVALID_FILTER, as core's compileFilter does", () => {
    for (const bad of [{ $and: [] }, { $or: [] }, { tag: { $in: "x" } }, { tag: { $nin: 1 } }, { tag: { $regex: "f" } }]) {
      const err = (() => {
        try {
          toLanceWhere(bad as never, all);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(MaxsimError.isInstance(err) && err.code, JSON.stringify(bad)).toBe("INVALID_FILTER");
    }
  });
  it("treats a path no document has as a value nobody has", () => {
    expect(toLanceWhere({ lang: "fr" }, () => false)).toBe("FALSE");
    expect(toLanceWhere({ lang: { $ne: "fr" } }, () => false)).toBe("NOT (FALSE)");
    expect(toLanceWhere({ lang: null }, () => false)).toBe("TRUE");
  });
});

const HOSTILE = ["it's", "'; DROP TABLE documents; --", "a' OR '1'='1", "x\\' OR 1=1 --", '"quoted"', "semi;colon", "back`tick", "-- comment", "percent%_"];

const DOCS: DocumentInput[] = HOSTILE.map((v, i) => ({
  id: `doc'${i};--`,
  text: i % 2 === 0 ? "Le chat noir dort dans la maison." : "Der Hund trinkt Wasser im Garten.",
  metadata: { title: v, [`key'${i}`]: v, tags: [v, `t${i}`], "weird`; --key": v, n: i },
}));

let encoder: ColBERT;
let root: string;
let lance: LanceCollection;
let core: Collection;

beforeAll(async () => {
  encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
  root = await mkdtemp(join(tmpdir(), "maxsim-lance-sql-"));
  lance = await LanceCollection.create(join(root, "db"), { model: encoder });
  await lance.addDocuments(DOCS);
  core = await Collection.create(null, { model: encoder });
  await core.addDocuments(DOCS);
});

afterAll(async () => {
  await lance?.close();
  await core?.close();
  await encoder?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("filter injection", () => {
  it("hostile metadata values and filter values change nothing but the match", async () => {
    for (const [i, v] of HOSTILE.entries()) {
      const filters: MetadataFilter[] = [
        { title: v },
        { [`key'${i}`]: v },
        { "weird`; --key": v },
        { tags: { $contains: v } },
        { title: { $contains: v.slice(1, 4) } },
        { title: { $in: [v, "nothing"] } },
        { title: { $ne: v } },
        { title: { $nin: [v] } },
        { title: { $gte: v } },
      ];
      for (const filter of filters) {
        const want = core.findIds(filter).sort();
        expect((await lance.findIds(filter)).sort(), JSON.stringify(filter)).toEqual(want);
        const hits = await lance.query("the black cat", { k: 20, filter });
        expect(hits.map((h) => h.id).sort(), JSON.stringify(filter)).toEqual(want);
      }
    }
    // nothing was dropped or rewritten by any of those
    expect(lance.size).toBe(HOSTILE.length);
    expect((await lance.getDocuments(DOCS.map((d) => d.id!))).map((d) => d?.metadata)).toEqual(DOCS.map((d) => d.metadata));
  });

  it("a hostile value matches exactly its own document", async () => {
    expect(await lance.findIds({ title: "'; DROP TABLE documents; --" })).toEqual(["doc'1;--"]);
    expect(await lance.findIds({ title: "a' OR '1'='1" })).toEqual(["doc'2;--"]);
    expect(await lance.findIds({ title: "' OR ''='" })).toEqual([]);
  });

  it("hostile ids delete only themselves", async () => {
    const c = await LanceCollection.create(join(root, "del"), { model: encoder });
    await c.addDocuments(DOCS);
    expect(await c.deleteDocuments(["doc'1;--", "x') OR ('1'='1"])).toBe(1);
    expect(await c.deleteWhere({ title: "a' OR '1'='1" })).toBe(1);
    expect(c.size).toBe(HOSTILE.length - 2);
    await c.close();
  });
});
