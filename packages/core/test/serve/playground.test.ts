/**
 * The playground page in a real browser: playwright-core drives Debian's Chromium (headless,
 * fresh profile, no network services) against a real `maxsim serve` on a loopback port. It runs
 * a cross-lingual query, checks the top hit, its highlighted span and the heatmap, adds a pasted
 * document and finds it, and saves a screenshot under `test-results/serve-playground/`.
 * Without Chromium the test is skipped with the reason printed, except in CI (`CI=true`), where
 * a missing browser is a failure.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection } from "../../src/collection/collection.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { startServer } from "../../src/serve/server.js";
import type { RunningServer } from "../../src/serve/server.js";

const CANDIDATES = [process.env.MAXSIM_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const executable = CANDIDATES.find((p): p is string => p !== undefined && p !== "" && existsSync(p));
const OUTPUT = path.resolve(__dirname, "../../test-results/serve-playground");
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

if (executable === undefined) {
  if (process.env.CI === "true")
    throw new Error("Chromium is missing in CI: install it with `apt-get install -y chromium` (the .ci/run script does), or set MAXSIM_CHROMIUM to its path.");
  console.warn(
    `playground browser test skipped: no Chromium at ${CANDIDATES.filter(Boolean).join(", ")}. Install it with \`apt-get install -y chromium\` or set MAXSIM_CHROMIUM.`,
  );
}

const DOCS = [
  { id: "fr-chat", text: "Le chat dort sur le canapé près de la fenêtre.", metadata: { lang: "fr" } },
  { id: "de-hund", text: "Der Hund bellt laut im Garten.", metadata: { lang: "de" } },
  { id: "es-pan", text: "El pan está en la mesa de la cocina.", metadata: { lang: "es" } },
  { id: "en-river", text: "The water of the river is cold in winter.", metadata: { lang: "en" } },
  { id: "zh-bird", text: "鸟在树上唱歌。", metadata: { lang: "zh" } },
];

describe.skipIf(executable === undefined)(`playground in Chromium${executable === undefined ? " (skipped: Chromium not installed)" : ""}`, () => {
  let tmp: string;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "maxsim-playground-"));
    const dir = path.join(tmp, "idx");
    const c = await Collection.create(dir, { model: (await ensureFixtures()).multilingual });
    await c.addDocuments(DOCS);
    await c.close();
    server = await startServer({ dir, port: 0, log: () => {} });
    context = await chromium.launchPersistentContext(path.join(tmp, "profile"), {
      executablePath: executable!,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    await mkdir(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("loads the page with the collection's stats", async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent("#stats")).toContain("5 documents");
  });

  it("answers a German query with the French passage, its highlighted span and a heatmap", async () => {
    await page.fill("#query", "Wo schläft die Katze?");
    await page.click("#search-button");
    const top = page.locator("li.hit").first();
    await top.waitFor();
    expect(await top.getAttribute("data-id")).toBe("fr-chat");
    const marks = await top.locator("mark").allTextContents();
    expect(marks).toContain("chat");
    expect(await top.locator(".norm").textContent()).toMatch(/normalised 0\.\d{3}|normalised 1\.000/);
    const heatmap = top.locator("table.heatmap");
    await heatmap.waitFor();
    const queryRows = await heatmap.locator("th.query-token").allTextContents();
    expect(queryRows).toContain("katze");
    const docCols = await heatmap.locator("th.doc-token").allTextContents();
    expect(docCols).toContain("chat");
    expect(await heatmap.locator("td.cell").count()).toBe(queryRows.length * docCols.length);
    // The outlined maximum of the "katze" row sits in the "chat" column.
    const row = heatmap.locator("tbody tr", { has: page.locator("th", { hasText: /^katze$/ }) });
    const cells = row.locator("td.cell");
    const bestIndex = await cells.evaluateAll((tds) => tds.findIndex((td) => td.classList.contains("best")));
    expect(docCols[bestIndex]).toBe("chat");
    await page.screenshot({ path: path.join(OUTPUT, "search.png"), fullPage: true });
  });

  it("filters by metadata", async () => {
    await page.fill("#filter-field", "lang");
    await page.fill("#filter-value", "de,es");
    await page.click("#search-button");
    await expect
      .poll(async () => (await page.locator("li.hit").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-id")))).sort())
      .toEqual(["de-hund", "es-pan"]);
    await page.fill("#filter-field", "");
    await page.fill("#filter-value", "");
  });

  it("adds a pasted document and finds it with a query in another language", async () => {
    await page.fill("#new-docs", "O cavalo corre no campo verde.");
    await page.fill("#new-id", "pt-cavalo");
    await page.fill("#new-meta", '{"lang":"pt"}');
    await page.click("#add-button");
    await expect.poll(() => page.textContent("#add-status")).toContain("Added 1 (pt-cavalo)");
    await expect.poll(() => page.textContent("#stats")).toContain("6 documents");
    expect(server.collection.has("pt-cavalo")).toBe(true);
    await page.fill("#query", "Where does the horse run?");
    await page.click("#search-button");
    await expect.poll(() => page.locator("li.hit").first().getAttribute("data-id")).toBe("pt-cavalo");
    await expect.poll(() => page.locator("li.hit").first().locator("mark").allTextContents()).toContain("cavalo");
    await page.locator("li.hit").first().locator("table.heatmap").waitFor();
    await page.screenshot({ path: path.join(OUTPUT, "added.png"), fullPage: true });
  });

  it("shows a server error in the page, not a blank result", async () => {
    await page.fill("#filter-json", '{"lang":{"$near":1}}');
    await page.click("#search-button");
    await expect.poll(() => page.textContent("#search-error")).toContain("INVALID_FILTER");
    await page.fill("#filter-json", "");
  });
});
