/**
 * What an installed app reaches without this repository: `maxsim --version`, `maxsim info`
 * (versions and the active centroid prober), `maxsim fixtures`, and `fixture:<name>` model ids
 * in the collection verbs and in the library.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { Collection } from "../../src/collection/collection.js";
import { ensureFixtures } from "../../src/fixtures/index.js";

const MAIN = path.resolve(__dirname, "../../src/cli/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
let tmp: string;

async function maxsim(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--conditions=@maxsim/source", "--import", TSX, MAIN, ...args], {
      cwd: tmp,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await ensureFixtures();
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-install-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("the installed CLI", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(await readFile(path.resolve(__dirname, "../../package.json"), "utf8")) as { version: string };
    const r = await maxsim(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it("info with no argument says which centroid prober is active and how to change it", async () => {
    const auto = JSON.parse((await maxsim(["info"])).stdout) as { node: string; centroidProbing: Record<string, string> };
    expect(auto.node).toBe(process.versions.node);
    expect(auto.centroidProbing.hnswlib).toBe("installed (addon loads)"); // built in this repository
    expect(auto.centroidProbing.active).toMatch(/^exact below 65536 centroids, hnswlib-node from 65536/);
    const forced = JSON.parse((await maxsim(["info"], { MAXSIM_CENTROID_PROBER: "exact" })).stdout) as { centroidProbing: Record<string, string> };
    expect(forced.centroidProbing.active).toBe("exact (MAXSIM_CENTROID_PROBER=exact)");
  });

  it("fixtures prints every fixture directory", async () => {
    const paths = JSON.parse((await maxsim(["fixtures"])).stdout) as Record<string, string>;
    expect(paths.multilingual).toBe((await ensureFixtures()).multilingual);
  });

  it("index and search take --model fixture:multilingual, and the index reopens by that id", async () => {
    await writeFile(path.join(tmp, "fr.txt"), "Le chat noir dort sur le canapé.");
    await writeFile(path.join(tmp, "de.txt"), "Der Hund bellt im Garten.");
    const indexed = await maxsim(["index", "idx", "--model", "fixture:multilingual", "fr.txt", "de.txt"]);
    expect(indexed.code, indexed.stderr).toBe(0);
    const hits = JSON.parse((await maxsim(["search", "idx", "dog", "--json", "-k", "1"])).stdout) as { id: string }[];
    expect(hits.map((h) => h.id)).toEqual(["de.txt"]);
    const info = JSON.parse((await maxsim(["info", "idx"])).stdout) as { model: string; centroidProbing: { active: string } };
    expect(info.model).toBe("fixture:multilingual");
    expect(info.centroidProbing.active).toMatch(/^exact/);
  });

  it("an unknown fixture is MODEL_NOT_FOUND naming the known ones", async () => {
    const r = await maxsim(["index", "bad", "--model", "fixture:nope", "fr.txt"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^maxsim: MODEL_NOT_FOUND: Unknown fixture model "fixture:nope"\. Fixture ids are fixture:lexical, /);
  });
});

describe("fixture ids in the library", () => {
  it("ColBERT.fromPretrained and Collection.create take fixture:<name>", async () => {
    const model = await ColBERT.fromPretrained("fixture:lexical");
    expect(model.info.modelId).toBe("fixture:lexical");
    expect(model.info.dir).toBe((await ensureFixtures()).lexical);
    await model.dispose();
    const c = await Collection.create(null, { model: "fixture:multilingual" });
    await c.addDocuments([
      { id: "a", text: "Le chat dort." },
      { id: "b", text: "Der Hund bellt." },
    ]);
    expect((await c.query("cat", { k: 1 }))[0]!.id).toBe("a");
    await c.close();
  });
});
