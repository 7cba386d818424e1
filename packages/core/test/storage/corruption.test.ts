import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexCorruptError, MaxsimError } from "../../src/errors.js";
import { IndexStore, crc32, decodeSegment, encodeSegment } from "../../src/storage/index.js";
import { rng } from "../helpers.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-corrupt-"));
const pristine = join(root, "pristine");
afterAll(() => rm(root, { recursive: true, force: true }));

/** Opens the index (reader, then writer) and reads everything it references. */
async function readEverything(dir: string): Promise<void> {
  for (const readOnly of [true, false]) {
    const store = await IndexStore.open(dir, { readOnly });
    try {
      for (const s of store.manifest.segments) {
        await store.readSegment(s.name);
        await store.readSegmentIds(s.name);
      }
      for (const name of Object.keys(store.manifest.blobs)) await store.readBlob(name);
    } finally {
      await store.close();
    }
  }
}

async function corruptError(dir: string): Promise<unknown> {
  try {
    await readEverything(dir);
  } catch (e) {
    return e;
  }
  return undefined;
}

let files: { kind: string; file: string }[] = [];

beforeAll(async () => {
  const store = await IndexStore.create(pristine, { dim: 4, meta: { model: "m" } });
  const next = rng(1);
  for (let b = 0; b < 3; b++) {
    const ids = Array.from({ length: 20 }, (_, i) => `d${b}-${i}`);
    await store.commit({
      addSegments: [
        {
          ids,
          columns: { vectors: Float32Array.from({ length: 20 * 4 * 8 }, () => next()), offsets: Int32Array.from({ length: 21 }, (_, i) => i * 8) },
          payloads: ids.map((id) => ({ text: `text of ${id}`, metadata: { b } })),
        },
      ],
      blobs: { centroids: Uint8Array.from({ length: 300 }, () => Math.floor(next() * 256)) },
      deleteIds: b > 0 ? [`d${b - 1}-3`] : [],
    });
  }
  await store.close();
  // The files the newest snapshot references (older generations' files are not read).
  const reader = await IndexStore.open(pristine, { readOnly: true });
  const m = reader.manifest;
  await reader.close();
  const names = await readdir(pristine);
  const newest = names
    .filter((f) => f.startsWith("manifest-"))
    .sort()
    .at(-1)!;
  files = [
    { kind: "manifest", file: newest },
    ...m.segments.map((s) => ({ kind: "segment", file: s.file })),
    ...Object.values(m.blobs).map((b) => ({ kind: "blob", file: b.file })),
  ];
  expect(files.filter((f) => f.kind === "segment")).toHaveLength(3);
  expect(files.filter((f) => f.kind === "blob")).toHaveLength(1);
  await readEverything(pristine); // sanity: the pristine copy reads cleanly
});

let copies = 0;
async function copy(): Promise<string> {
  const dir = join(root, `copy-${copies++}`);
  await cp(pristine, dir, { recursive: true });
  return dir;
}

describe("corruption is reported as IndexCorruptError naming the file", () => {
  it("flipped bytes anywhere in every file kind", async () => {
    const next = rng(99);
    let trials = 0;
    for (const { file } of files) {
      const size = (await readFile(join(pristine, file))).length;
      // Every byte of the small manifest; random positions (and the first/last bytes) elsewhere.
      const positions = file.startsWith("manifest-")
        ? Array.from({ length: size }, (_, i) => i).filter((i) => i % 7 === 0 || i < 80 || i > size - 4)
        : [0, 8, 12, 16, size - 1, ...Array.from({ length: 40 }, () => Math.floor(next() * size))];
      const dir = await copy();
      const path = join(dir, file);
      const original = await readFile(path);
      for (const pos of positions) {
        const bytes = Buffer.from(original);
        bytes[pos] = bytes[pos]! ^ (1 + Math.floor(next() * 255));
        await writeFile(path, bytes);
        const e = await corruptError(dir);
        expect(IndexCorruptError.isInstance(e), `${file} byte ${pos}: ${String(e)}`).toBe(true);
        expect((e as IndexCorruptError).file).toBe(file);
        expect((e as IndexCorruptError).message).toContain(file);
        trials++;
      }
    }
    expect(trials).toBeGreaterThan(200);
  });

  it("truncated files of every kind (including empty)", async () => {
    const next = rng(5);
    for (const { file } of files) {
      const size = (await readFile(join(pristine, file))).length;
      for (const length of [0, 1, 15, 16, Math.floor(size / 2), size - 1, Math.floor(next() * size)]) {
        const dir = await copy();
        await truncate(join(dir, file), length);
        const e = await corruptError(dir);
        expect(IndexCorruptError.isInstance(e), `${file} cut to ${length}: ${String(e)}`).toBe(true);
        expect((e as IndexCorruptError).file).toBe(file);
        await rm(dir, { recursive: true });
      }
    }
  });

  it("appended bytes and missing files", async () => {
    for (const { kind, file } of files) {
      let dir = await copy();
      await writeFile(join(dir, file), Buffer.concat([await readFile(join(dir, file)), Buffer.from([0])]));
      let e = await corruptError(dir);
      expect(IndexCorruptError.isInstance(e), `${file} + 1 byte: ${String(e)}`).toBe(true);
      if (kind === "manifest") continue; // removing the newest manifest just rolls back to the previous commit
      dir = await copy();
      await rm(join(dir, file));
      e = await corruptError(dir);
      expect(IndexCorruptError.isInstance(e), `${file} missing: ${String(e)}`).toBe(true);
      expect((e as IndexCorruptError).file).toBe(file);
    }
  });

  it("a segment swapped for another valid segment is caught by the manifest checksum", async () => {
    const dir = await copy();
    const segs = files.filter((f) => f.kind === "segment").map((f) => f.file);
    const a = await readFile(join(dir, segs[0]!));
    await writeFile(join(dir, segs[1]!), a);
    const e = await corruptError(dir);
    expect(IndexCorruptError.isInstance(e)).toBe(true);
  });

  it("decodes segments from unaligned buffers", () => {
    const { bytes } = encodeSegment({ ids: ["a"], columns: { v: new Float64Array([1.5, -2]) } });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeSegment(shifted.subarray(1), "x.seg").columns.v!)).toEqual([1.5, -2]);
  });
});

describe("format versions", () => {
  const errorOf = async (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  it("a manifest from a future version gives INDEX_VERSION with a clear message", async () => {
    const dir = await copy();
    const file = files[0]!.file;
    const text = (await readFile(join(dir, file), "utf8")).replace('"version": 1,', '"version": 7,');
    // Re-seal the envelope so only the version differs: the CRC covers the body.
    const body = text.slice(text.indexOf(',"manifest":') + 12, -2);
    const sealed = `{"format":"maxsim-index","crc32":"${crc32(Buffer.from(body)).toString(16).padStart(8, "0")}","manifest":${body}}\n`;
    await writeFile(join(dir, file), sealed);
    for (const readOnly of [true, false]) {
      const e = await errorOf(IndexStore.open(dir, { readOnly }));
      expect(MaxsimError.isInstance(e) && e.code).toBe("INDEX_VERSION");
      expect((e as Error).message).toMatch(/version 7.*up to 1.*Upgrade @maxsim\/core/);
    }
  });

  it("a segment from a future version gives INDEX_VERSION", async () => {
    const dir = await copy();
    const file = files.find((f) => f.kind === "segment")!.file;
    const bytes = await readFile(join(dir, file));
    const length = bytes.readUInt32LE(8);
    const header = bytes
      .subarray(16, 16 + length)
      .toString("utf8")
      .replace('"version":1', '"version":2');
    expect(header.length).toBe(length);
    bytes.write(header, 16, "utf8");
    bytes.writeUInt32LE(crc32(bytes.subarray(16, 16 + length)), 12);
    await writeFile(join(dir, file), bytes);
    const e = await errorOf(readEverything(dir));
    expect(MaxsimError.isInstance(e) && e.code).toBe("INDEX_VERSION");
    expect((e as Error).message).toContain(file);
  });
});
