// The CSR inverted lists against a model (per centroid, the slots of documents holding it, each
// once, in the order added): a build, documents added after it (with folds into the CSR arrays),
// rebuilds after slots were renumbered (deletes compacted away), and clearing.
import { describe, expect, it } from "vitest";
import { InvertedLists } from "../../src/index/inverted-lists.js";
import { CentroidIndex } from "../../src/index/plaid.js";
import { seededRandom } from "../../src/index/synthetic.js";

const K = 16;

/** Random documents over K centroids: token ids with repeats (lists hold a document once). */
function randomDocs(count: number, seed: number): Uint16Array[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => Uint16Array.from({ length: 1 + Math.floor(r() * 12) }, () => Math.floor(r() * r() * K)));
}

function flat(docs: Uint16Array[]): { codes: Uint16Array; offsets: Int32Array } {
  const offsets = new Int32Array(docs.length + 1);
  docs.forEach((d, i) => (offsets[i + 1] = offsets[i]! + d.length));
  const codes = new Uint16Array(offsets[docs.length]!);
  docs.forEach((d, i) => codes.set(d, offsets[i]!));
  return { codes, offsets };
}

/** The model: lists[c] = slots holding centroid c, in the order documents were given. */
function model(docs: { slot: number; codes: Uint16Array }[]): number[][] {
  const lists = Array.from({ length: K }, () => [] as number[]);
  for (const { slot, codes } of docs) for (const c of new Set(codes)) lists[c]!.push(slot);
  return lists;
}

const listsOf = (l: InvertedLists) => Array.from({ length: K }, (_, c) => [...l.list(c)]);

describe("InvertedLists", () => {
  it("a build holds each document once per distinct centroid, in slot order, in exact-size arrays", () => {
    const docs = randomDocs(300, 1);
    const { codes, offsets } = flat(docs);
    const lists = new InvertedLists(K);
    lists.build(codes, offsets, docs.length);
    const want = model(docs.map((codes, slot) => ({ slot, codes })));
    expect(listsOf(lists)).toEqual(want);
    const entries = want.reduce((s, l) => s + l.length, 0);
    expect(lists.entries).toBe(entries);
    expect(lists.slots.length).toBe(entries);
    expect(lists.start.length).toBe(K + 1);
    expect(lists.hasTail).toBe(false);
  });

  it("documents added after a build are appended to their lists, and folding into the CSR arrays keeps every list and its order", () => {
    const first = randomDocs(50, 2);
    const later = randomDocs(400, 3);
    const { codes, offsets } = flat(first);
    const lists = new InvertedLists(K, 64);
    lists.build(codes, offsets, first.length);
    const added: { slot: number; codes: Uint16Array }[] = first.map((codes, slot) => ({ slot, codes }));
    let sawTail = false;
    let sawFold = false;
    later.forEach((doc, i) => {
      const builtBefore = lists.slots.length;
      lists.add(first.length + i, doc);
      added.push({ slot: first.length + i, codes: doc });
      sawTail ||= lists.hasTail;
      sawFold ||= lists.slots.length > builtBefore;
      expect(lists.entries).toBe(model(added).reduce((s, l) => s + l.length, 0));
    });
    expect(sawTail && sawFold).toBe(true);
    expect(listsOf(lists)).toEqual(model(added));
  });

  it("a rebuild after slots were renumbered (deleted documents dropped) replaces the lists, tail included; clear empties them", () => {
    const docs = randomDocs(200, 4);
    const lists = new InvertedLists(K, 1 << 20);
    docs.forEach((d, slot) => lists.add(slot, d));
    expect(lists.hasTail).toBe(true);
    const live = docs.filter((_, i) => i % 3 !== 0); // compaction keeps the order of the survivors
    const { codes, offsets } = flat(live);
    lists.build(codes, offsets, live.length);
    expect(lists.hasTail).toBe(false);
    expect(listsOf(lists)).toEqual(model(live.map((codes, slot) => ({ slot, codes }))));
    lists.clear();
    expect(lists.entries).toBe(0);
    expect(listsOf(lists)).toEqual(Array.from({ length: K }, () => []));
    lists.add(7, Uint16Array.from([3, 3, 5]));
    expect(listsOf(lists)[3]).toEqual([7]);
    expect(listsOf(lists)[5]).toEqual([7]);
  });
});

describe("CentroidIndex inverted lists", () => {
  it("candidates are the same from lists built at once and from the same documents added one by one, before and after more adds", async () => {
    const dim = 4;
    const r = seededRandom(5);
    const centroids = Float32Array.from({ length: K * dim }, () => r() - 0.5);
    const docs = randomDocs(500, 6);
    const { codes, offsets } = flat(docs);
    const built = new CentroidIndex(centroids, dim, "exact");
    built.buildLists(codes, offsets, 400);
    const added = new CentroidIndex(centroids, dim, "exact");
    for (let s = 0; s < 400; s++) added.addDocument(s, docs[s]!);
    const q = { data: Float32Array.from({ length: 3 * dim }, () => r() - 0.5), length: 3, dim };
    const sims = await built.centroidSimilarities(q);
    const run = (ci: CentroidIndex, slots: number) => [...ci.candidates(q, slots, 3, 40, (s) => s % 7 !== 0, sims)];
    expect(run(built, 400)).toEqual(run(added, 400));
    expect(built.meanListLength()).toBe(added.meanListLength());
    for (let s = 400; s < 500; s++) {
      built.addDocument(s, docs[s]!);
      added.addDocument(s, docs[s]!);
    }
    const after = run(built, 500);
    expect(after).toEqual(run(added, 500));
    expect(after.some((s) => s >= 400)).toBe(true); // the added documents are found
    const all = new CentroidIndex(centroids, dim, "exact");
    all.buildLists(codes, offsets, 500);
    expect(run(all, 500)).toEqual(after);
  });
});
