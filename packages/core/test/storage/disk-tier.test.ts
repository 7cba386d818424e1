// The disk-tier file format: rows read back exactly through positional reads, and every kind of
// damage reported as IndexCorruptError naming the file (and the block, for data), on real files.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IndexCorruptError, MaxsimError } from "../../src/errors.js";
import { DiskTierFile, encodeDiskTier, memorySource } from "../../src/storage/disk-tier.js";
import { IndexStore } from "../../src/storage/index.js";
import { rng } from "../helpers.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-tier-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const ROW = 24; // bytes per row: 170 rows per 4 KB block
const ROWS = 1000;
const data = (() => {
  const r = rng(5);
  return Uint8Array.from({ length: ROW * ROWS }, () => Math.floor(r() * 256));
})();

async function openStored(bytes: Uint8Array): Promise<{ file: DiskTierFile; close: () => Promise<void> }> {
  const dir = join(root, `store-${Math.random().toString(36).slice(2)}`);
  const store = await IndexStore.create(dir, { dim: 1 });
  await store.commit({ blobs: { "tier-0": bytes } });
  const source = (await store.openBlob("tier-0"))!;
  const file = await DiskTierFile.open(source);
  return { file, close: async () => (await file.close(), await store.close()) };
}

describe("disk-tier files", () => {
  it("reads any row range back byte for byte through a store blob", async () => {
    const { file, close } = await openStored(encodeDiskTier(data, ROW));
    expect([file.rows, file.rowBytes]).toEqual([ROWS, ROW]);
    for (const [from, to] of [
      [0, 1],
      [169, 171],
      [0, ROWS],
      [999, 1000],
      [340, 341],
      [5, 5],
    ] as const) {
      expect(Buffer.from(await file.readRows(from, to)).equals(Buffer.from(data.subarray(from * ROW, to * ROW)))).toBe(true);
    }
    const e = await file.readRows(990, 1001).catch((x: unknown) => x);
    expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_INPUT");
    await close();
    const empty = await DiskTierFile.open(memorySource("empty", encodeDiskTier(new Uint8Array(0), ROW)));
    expect(empty.rows).toBe(0);
  });

  it("a flipped data byte is reported when its block is read, naming the file and the block; other blocks still read", async () => {
    const bytes = encodeDiskTier(data, ROW);
    const at = bytes.length - data.length + 400 * ROW + 3; // row 400: block 2 (rows 340–509)
    bytes[at]! ^= 0x10;
    const { file, close } = await openStored(bytes);
    expect(Buffer.from(await file.readRows(0, 340)).equals(Buffer.from(data.subarray(0, 340 * ROW)))).toBe(true);
    const e = await file.readRows(399, 401).catch((x: unknown) => x);
    expect(IndexCorruptError.isInstance(e)).toBe(true);
    expect((e as IndexCorruptError).file).toMatch(/^blob-\d{10}-tier-0\.bin$/);
    expect((e as Error).message).toContain("block 2 (rows 340–509)");
    await close();
  });

  it("reads many ranges at once into their places, through the store's vectored reads and through memory", async () => {
    const stored = await openStored(encodeDiskTier(data, ROW));
    const inMemory = await DiskTierFile.open(memorySource("mem", encodeDiskTier(data, ROW)));
    const r = rng(9);
    for (const file of [stored.file, inMemory]) {
      for (let trial = 0; trial < 21; trial++) {
        // Ranges in random order: overlapping, adjacent, empty, a block or more apart; the last
        // trial whole blocks (170 rows each, the last one short), which are read in place.
        const ranges =
          trial === 20
            ? [
                { from: 340, to: 510, at: 0 },
                { from: 170, to: 340, at: 0 },
                { from: 850, to: 1000, at: 0 },
                { from: 0, to: 10, at: 0 },
              ]
            : Array.from({ length: 1 + Math.floor(r() * 12) }, () => {
                const from = Math.floor(r() * ROWS);
                return { from, to: Math.min(ROWS, from + Math.floor(r() * 200)), at: 0 };
              });
        let at = 0;
        for (const range of ranges) {
          range.at = at;
          at += (range.to - range.from) * ROW;
        }
        const out = new Uint8Array(at);
        await file.readRanges(ranges, out);
        const want = new Uint8Array(at);
        for (const range of ranges) want.set(data.subarray(range.from * ROW, range.to * ROW), range.at);
        expect(Buffer.from(out).equals(Buffer.from(want)), `trial ${trial}`).toBe(true);
      }
    }
    const e = await stored.file.readRanges([{ from: 990, to: 1001, at: 0 }], new Uint8Array(11 * ROW)).catch((x: unknown) => x);
    expect(MaxsimError.isInstance(e) && e.code).toBe("INVALID_INPUT");
    await stored.close();
  });

  it("a flipped byte fails a many-range read that needs its block, names it, and spares reads that only skip over it", async () => {
    const bytes = encodeDiskTier(data, ROW);
    bytes[bytes.length - data.length + 400 * ROW + 3]! ^= 0x10; // block 2 (rows 340–509)
    const { file, close } = await openStored(bytes);
    // Blocks 0 and 4 share one vectored read that passes over block 2 without using it.
    const out = new Uint8Array(20 * ROW);
    await file.readRanges(
      [
        { from: 700, to: 710, at: 10 * ROW },
        { from: 0, to: 10, at: 0 },
      ],
      out,
    );
    expect(Buffer.from(out.subarray(0, 10 * ROW)).equals(Buffer.from(data.subarray(0, 10 * ROW)))).toBe(true);
    expect(Buffer.from(out.subarray(10 * ROW)).equals(Buffer.from(data.subarray(700 * ROW, 710 * ROW)))).toBe(true);
    const e = await file
      .readRanges(
        [
          { from: 0, to: 10, at: 0 },
          { from: 399, to: 401, at: 10 * ROW },
        ],
        new Uint8Array(12 * ROW),
      )
      .catch((x: unknown) => x);
    expect(IndexCorruptError.isInstance(e)).toBe(true);
    expect((e as Error).message).toContain("block 2 (rows 340–509)");
    // The whole block, which is read straight into the output.
    const whole = await file.readRanges([{ from: 340, to: 510, at: 0 }], new Uint8Array(170 * ROW)).catch((x: unknown) => x);
    expect(IndexCorruptError.isInstance(whole) && (whole as Error).message).toContain("block 2 (rows 340–509)");
    await close();
  });

  it("damage to the magic, header, block table or size is reported at open", async () => {
    const clean = encodeDiskTier(data, ROW);
    const headerLength = new DataView(clean.buffer).getUint32(8, true);
    const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
      ["magic", (b) => ((b[1]! ^= 1), b), /bad magic/],
      ["header", (b) => ((b[20]! ^= 1), b), /header checksum/],
      ["block table", (b) => ((b[(16 + headerLength + 7) & ~7]! ^= 1), b), /block table checksum/],
      ["truncated", (b) => b.subarray(0, b.length - 1), /bytes, the header implies/],
      ["tiny", (b) => b.subarray(0, 10), /truncated/],
    ];
    for (const [what, damage, message] of cases) {
      const e = await DiskTierFile.open(memorySource(`x-${what}`, damage(clean.slice()))).catch((x: unknown) => x);
      expect(IndexCorruptError.isInstance(e), what).toBe(true);
      expect((e as IndexCorruptError).file).toBe(`x-${what}`);
      expect((e as Error).message, what).toMatch(message);
    }
  });

  it("a store blob of the wrong size on disk is IndexCorruptError at openBlob", async () => {
    const dir = join(root, "resized");
    const store = await IndexStore.create(dir, { dim: 1 });
    const m = await store.commit({ blobs: { "tier-0": encodeDiskTier(data, ROW) } });
    const path = join(dir, m.blobs["tier-0"]!.file);
    await writeFile(path, (await readFile(path)).subarray(0, 100));
    const e = await store.openBlob("tier-0").catch((x: unknown) => x);
    expect(IndexCorruptError.isInstance(e) && e.file).toBe(m.blobs["tier-0"]!.file);
    expect(await store.openBlob("absent")).toBeUndefined();
    await store.close();
  });
});
