// `maxsim eval` end to end, as a user runs it: a spawned CLI on the offline fixture model.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const cli = (args: string[]) =>
  spawnSync("pnpm", ["exec", "tsx", "--conditions=@maxsim/source", "packages/core/src/cli/main.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maxsim-eval-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Parallel paragraphs and questions written with words of the fixture's lexicon, so that a
// correct harness must find every question's paragraph across languages.
const PARAGRAPHS: Record<string, string[]> = {
  en: ["The cat sleeps on the bed.", "The train leaves the station in the morning.", "The doctor works in the hospital.", "We swim in the sea in summer."],
  fr: ["Le chat dort sur le lit.", "Le train part de la gare le matin.", "Le médecin travaille à l'hôpital.", "Nous nageons dans la mer en été."],
  de: ["Die Katze schläft auf dem Bett.", "Der Zug fährt morgens vom Bahnhof.", "Der Arzt arbeitet im Krankenhaus.", "Im Sommer schwimmen wir im Meer."],
};
const QUESTIONS: Record<string, string[]> = {
  en: ["Where does the cat sleep?", "When does the train leave the station?", "Where does the doctor work?", "Where do we swim in summer?"],
  fr: ["Où dort le chat ?", "Quand le train part-il de la gare ?", "Où travaille le médecin ?", "Où nager en été ?"],
  de: ["Wo schläft die Katze?", "Wann fährt der Zug vom Bahnhof?", "Wo arbeitet der Arzt?", "Wo schwimmen wir im Sommer?"],
};

async function writeTinyXquad(folder: string): Promise<void> {
  for (const lang of Object.keys(PARAGRAPHS)) {
    const paragraphs = PARAGRAPHS[lang]!.map((context, i) => ({ context, qas: [{ id: `q${i}`, question: QUESTIONS[lang]![i]!, answers: [] }] }));
    await writeFile(join(folder, `xquad.${lang}.json`), JSON.stringify({ data: [{ title: "t", paragraphs }] }));
  }
}

describe("maxsim eval", () => {
  it("writes the cross-lingual matrix as a table, JSON and an SVG, and finds translations across languages", async () => {
    await writeTinyXquad(dir);
    const out = join(dir, "out");
    const run = cli(["eval", "--model", "fixture:multilingual", "--data", dir, "--langs", "en,fr,de", "--out", out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("fixture model: these numbers only prove the evaluation harness works");
    expect(run.stdout).toMatch(/ndcg@10 q\\d\s+en\s+fr\s+de/);
    const files = await readdir(out);
    const json = files.find((f) => f.endsWith(".json"));
    const svg = files.find((f) => f.endsWith(".svg"));
    expect(json && svg).toBeTruthy();
    const result = JSON.parse(await readFile(join(out, json!), "utf8"));
    expect(result.model).toBe("fixture:multilingual");
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.cells).toHaveLength(9);
    for (const cell of result.cells) {
      // Every question's one relevant paragraph is ranked first, in every language pair.
      expect(cell.modes.exact.scores["mrr@10"], `${cell.queryLang}→${cell.docLang}`).toBe(1);
      expect(cell.modes.approximate.scores["recall@10"]).toBe(1);
    }
    const image = await readFile(join(out, svg!), "utf8");
    expect(image.startsWith("<svg")).toBe(true);
    expect(image.match(/<rect x=/g)).toHaveLength(9);
  });

  it("fails with one line naming the missing XQuAD file", () => {
    const run = cli(["eval", "--model", "fixture:multilingual", "--data", join(dir, "nowhere"), "--langs", "en", "--out", join(dir, "x")]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/DATASET_INVALID: .*xquad\.en\.json/);
  });

  const shared = resolve(root, process.env.MAXSIM_SHARED ?? "../shared", "data", "xquad");
  const haveShared = existsSync(join(shared, "xquad.en.json"));
  if (!haveShared) console.log(`skipped: the real-XQuAD eval test needs ${shared} (set MAXSIM_SHARED)`);
  it.skipIf(!haveShared)("runs on the real XQuAD files from ../shared", async () => {
    const out = join(dir, "real");
    const run = cli(["eval", "--model", "fixture:multilingual", "--data", shared, "--langs", "en,de", "--max-queries", "40", "--modes", "exact", "--out", out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("XQuAD (240 paragraphs, 40 questions per language)");
    const json = (await readdir(out)).find((f) => f.endsWith(".json"))!;
    const result = JSON.parse(await readFile(join(out, json), "utf8"));
    expect(result.cells).toHaveLength(4);
    const enEn = result.cells.find((c: { queryLang: string; docLang: string }) => c.queryLang === "en" && c.docLang === "en");
    // A keyword-like model still finds most English questions' paragraphs in English.
    expect(enEn.modes.exact.scores["recall@10"]).toBeGreaterThan(0.5);
  });
});

// The shared XQuAD folder beside this checkout (absent in a bare clone elsewhere: then skipped).
const besideCheckout = resolve(root, "..", "shared", "data", "xquad");
describe.skipIf(!existsSync(join(besideCheckout, "xquad.en.json")))("maxsim eval default data folder", () => {
  it("finds XQuAD beside the checkout when the working directory has no ../shared (pnpm maxsim typed in a subdirectory)", async () => {
    const elsewhere = join(dir, "deep", "cwd");
    await mkdir(elsewhere, { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.MAXSIM_SHARED;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        tsx,
        "--conditions=@maxsim/source",
        join(root, "packages/core/src/cli/main.ts"),
        "eval",
        "--model",
        "fixture:multilingual",
        "--langs",
        "en",
        "--max-queries",
        "1",
        "--modes",
        "exact",
        "--out",
        join(dir, "out-default"),
      ],
      {
        cwd: elsewhere,
        env,
        encoding: "utf8",
        timeout: 300_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("XQuAD (240 paragraphs, 1 questions per language)");
  });
});
