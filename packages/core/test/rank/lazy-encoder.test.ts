// LazyEncoder, the encoder state both wrappers' rerankers share: loaded once, one load for
// concurrent first calls, a failed load retried by the next call, and only what it loaded or
// adopted released. Real model loads of the multilingual fixture; `ColBERT.fromPretrained` is
// observed (it still loads) to count the loads.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ColBERT } from "../../src/encoder/colbert.js";
import { ensureFixtures } from "../../src/fixtures/index.js";
import { LazyEncoder } from "../../src/rank/lazy-encoder.js";

const NAMES = { owner: "MaxSimReranker", firstUse: "compressDocuments" };

let model: string;
let tmp: string;

/** True once `encoder` was disposed (encoding then fails with INVALID_OPTION). */
async function disposed(encoder: ColBERT): Promise<boolean> {
  return encoder.encodeQueries(["x"]).then(
    () => false,
    (e: { code?: string }) => e.code === "INVALID_OPTION",
  );
}

beforeAll(async () => {
  model = (await ensureFixtures()).multilingual;
  tmp = await mkdtemp(path.join(tmpdir(), "maxsim-lazy-encoder-"));
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("LazyEncoder", () => {
  it("loads the model once: concurrent first calls share the load, later calls reuse it", async () => {
    const loads = vi.spyOn(ColBERT, "fromPretrained");
    const lazy = new LazyEncoder({ model }, NAMES);
    expect(loads).not.toHaveBeenCalled(); // nothing is loaded by the constructor
    expect(() => lazy.encoder).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("(or compressDocuments)") }));
    const [a, b, c] = await Promise.all([lazy.load(), lazy.load(), lazy.load()]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(await lazy.load()).toBe(a);
    expect(lazy.encoder).toBe(a);
    expect(loads).toHaveBeenCalledTimes(1);

    await lazy.close();
    expect(await disposed(a as ColBERT)).toBe(true);
    expect(() => lazy.encoder).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    const again = await lazy.load(); // a closed { model } encoder loads afresh on next use
    expect(again).not.toBe(a);
    expect(loads).toHaveBeenCalledTimes(2);
    await lazy.close();
  });

  it("does not cache a failed load: the next call loads again and succeeds once the model is there", async () => {
    const dir = path.join(tmp, "appears-later");
    const loads = vi.spyOn(ColBERT, "fromPretrained");
    const lazy = new LazyEncoder({ model: dir }, NAMES);
    const failures = await Promise.allSettled([lazy.load(), lazy.load()]);
    expect(failures.map((f) => f.status)).toEqual(["rejected", "rejected"]);
    expect((failures[0] as PromiseRejectedResult).reason).toBe((failures[1] as PromiseRejectedResult).reason); // one shared attempt
    expect((failures[0] as PromiseRejectedResult).reason).toHaveProperty("code");
    expect(loads).toHaveBeenCalledTimes(1);

    await cp(model, dir, { recursive: true });
    const encoder = await lazy.load();
    expect(encoder.dim).toBeGreaterThan(0);
    expect(loads).toHaveBeenCalledTimes(2);
    await lazy.close();
  });

  it("never loads nor releases an encoder passed in, and releases an adopted one", async () => {
    const mine = await ColBERT.fromPretrained(model);
    const loads = vi.spyOn(ColBERT, "fromPretrained");
    const given = new LazyEncoder({ encoder: mine }, NAMES);
    expect(given.encoder).toBe(mine);
    expect(await given.load()).toBe(mine);
    await given.close();
    expect(await disposed(mine)).toBe(false); // still the caller's
    expect(loads).not.toHaveBeenCalled();

    const adopted = new LazyEncoder({ encoder: mine }, NAMES); // what a wrapper's fromPretrained does
    adopted.adopt(mine);
    await adopted.close();
    expect(await disposed(mine)).toBe(true);
  });

  it("loadFor (a wrapper's fromPretrained) hands the loaded encoder to the owner, and disposes it when the owner's constructor throws", async () => {
    const owner = await LazyEncoder.loadFor(
      model,
      undefined,
      (encoder) => ({ source: new LazyEncoder({ encoder }, NAMES) }),
      (o) => o.source,
    );
    const encoder = owner.source.encoder as ColBERT;
    expect(await disposed(encoder)).toBe(false);
    await owner.source.close();
    expect(await disposed(encoder)).toBe(true); // adopted: released with its owner

    let built: ColBERT | undefined;
    const invalid = new Error("invalid options");
    const failed = await LazyEncoder.loadFor(
      model,
      undefined,
      (encoder) => {
        built = encoder;
        throw invalid;
      },
      () => {
        throw new Error("not reached");
      },
    ).catch((e: unknown) => e);
    expect(failed).toBe(invalid);
    expect(await disposed(built!)).toBe(true);
  });

  it("refuses fields without an encoder or a model, naming the owner's fromPretrained", () => {
    expect(() => new LazyEncoder({}, NAMES)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("MaxSimReranker.fromPretrained") }),
    );
    expect(() => new LazyEncoder({ model: "" }, NAMES)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});
