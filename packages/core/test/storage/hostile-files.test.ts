// Files are what they claim to be: a segment, manifest or lock replaced by a FIFO, a symlink to
// /dev/zero or a directory gives a typed error at once (before the fix: open hung on the FIFO and
// /dev/zero, EISDIR came out raw), create under /proc returns (it hung in mkdir -p), and `maxsim
// info` racing a writer's cleanup never surfaces a raw ENOENT.
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, symlink, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { describeCollection } from "../../src/collection/describe.js";
import { ColBERT } from "../../src/encoder/colbert.js";
import { IndexCorruptError, MaxsimError } from "../../src/errors.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { MaxSimIndex } from "../../src/index/maxsim-index.js";
import { IndexStore } from "../../src/storage/index.js";

const root = await mkdtemp(join(tmpdir(), "maxsim-hostile-files-"));
const pristine = join(root, "pristine");
afterAll(() => rm(root, { recursive: true, force: true }));

const v = (n: number) => ({ data: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? 1 : 0)), length: n, dim: 2 });

beforeAll(async () => {
  const index = await MaxSimIndex.create(pristine, { dim: 2 });
  await index.add([{ id: "a", embeddings: v(2), payload: { n: 1 } }]);
  await index.add([{ id: "b", embeddings: v(1) }]);
  await index.close();
});

async function copy(name: string): Promise<{ dir: string; segment: string; manifest: string }> {
  const dir = join(root, name);
  await cp(pristine, dir, { recursive: true });
  const store = await IndexStore.open(dir, { readOnly: true });
  const segment = join(dir, store.manifest.segments[0]!.file);
  const manifest = join(dir, `manifest-${String(store.manifest.generation).padStart(10, "0")}.json`);
  await store.close();
  return { dir, segment, manifest };
}

async function openError(dir: string, readOnly: boolean): Promise<unknown> {
  return MaxSimIndex.open(dir, { readOnly }).then(
    async (index) => {
      await index.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe("index files that are not regular files", () => {
  it("a segment replaced by a FIFO or a symlink to /dev/zero: IndexCorruptError naming it, reader and writer", async () => {
    for (const kind of ["fifo", "dev-zero", "symlink-inside", "directory"] as const) {
      const { dir, segment } = await copy(`seg-${kind}`);
      await unlink(segment);
      if (kind === "fifo") execFileSync("mkfifo", [segment]);
      else if (kind === "dev-zero") await symlink("/dev/zero", segment);
      else if (kind === "symlink-inside") await symlink(join(pristine, segment.slice(dir.length + 1)), segment);
      else await mkdir(segment);
      for (const readOnly of [true, false]) {
        const error = await openError(dir, readOnly);
        expect(IndexCorruptError.isInstance(error), `${kind} readOnly=${readOnly}: ${String(error)}`).toBe(true);
        expect((error as IndexCorruptError).file).toBe(segment.slice(dir.length + 1));
      }
    }
  });

  it("the newest manifest replaced by a FIFO: IndexCorruptError", async () => {
    const { dir, manifest } = await copy("manifest-fifo");
    await unlink(manifest);
    execFileSync("mkfifo", [manifest]);
    expect(IndexCorruptError.isInstance(await openError(dir, true))).toBe(true);
  });

  it("a LOCK that is a directory, a FIFO or a symlink: IO_ERROR for a writer, readers unaffected", async () => {
    for (const kind of ["directory", "fifo", "symlink"] as const) {
      const { dir } = await copy(`lock-${kind}`);
      const lock = join(dir, "LOCK");
      if (kind === "directory") await mkdir(lock);
      else if (kind === "fifo") execFileSync("mkfifo", [lock]);
      else await symlink("/dev/zero", lock);
      const error = await openError(dir, false);
      expect(MaxsimError.isInstance(error) && error.code, `${kind}: ${String(error)}`).toBe("IO_ERROR");
      expect(await openError(dir, true)).toBeUndefined();
    }
  });

  it("creating under /proc returns a typed IO_ERROR instead of hanging", async () => {
    for (const dir of ["/proc/nonexistent/x", "/proc/self/x"]) {
      const error = await MaxSimIndex.create(dir, { dim: 2 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MaxsimError.isInstance(error) && error.code, `${dir}: ${String(error)}`).toBe("IO_ERROR");
    }
  });
});

describe("maxsim info while a writer commits", () => {
  it("describeCollection never throws a raw fs error while the writer's cleanup deletes files", async () => {
    const encoder = await ColBERT.fromPretrained((await ensureFixtures()).multilingual);
    const dir = join(root, "describe-race");
    const writer = await Collection.create(dir, { model: encoder });
    await writer.addDocuments([{ id: "0", text: "Le chat dort." }]);
    let stop = false;
    const writes = (async () => {
      for (let i = 1; !stop; i++) await writer.upsertDocuments([{ id: String(i % 5), text: `Le chat dort ${i}.` }]);
    })();
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) {
      const result = await describeCollection(dir).then(
        (d) => (d.documents > 0 ? "ok" : "empty"),
        (e: unknown) => (MaxsimError.isInstance(e) ? e.code : `raw ${String(e)}`),
      );
      outcomes.push(result);
    }
    stop = true;
    await writes;
    await writer.close();
    await encoder.dispose();
    expect(outcomes.filter((o) => o.startsWith("raw"))).toEqual([]);
    expect(outcomes.filter((o) => o !== "ok" && o !== "INDEX_STALE")).toEqual([]);
  });
});
