// Two-level nearest-centroid assignment (large centroid sets): real ORT products on real vectors.
import { describe, expect, it } from "vitest";
import { benchCorpus } from "../../src/index/bench-corpora/index.js";
import { assignGrouped, groupCentroids, PROBED_GROUPS } from "../../src/index/grouped-assign.js";
import { EXACT_ASSIGN_MAX, assignExact, assignNearest, trainKMeans } from "../../src/index/kmeans.js";

const dim = 32;

describe("grouped assignment", () => {
  it("partitions the centroids, keeps each token's true similarity, and mostly finds the exact nearest", async () => {
    const corpus = benchCorpus("zipfian", { docs: 400, dim, seed: 4 });
    const k = 1024;
    const centroids = await trainKMeans(corpus.data, dim, { k, seed: 2, iterations: 2 });
    const groups = await groupCentroids(centroids, dim);
    // Every centroid is in exactly one group, and group rows are its centroids' rows.
    expect([...groups.ids].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
    for (let c = 0; c + 1 < groups.start.length; c++) expect(groups.start[c + 1]!).toBeGreaterThan(groups.start[c]!);
    expect(groups.rows.subarray(5 * dim, 6 * dim)).toEqual(centroids.subarray(groups.ids[5]! * dim, (groups.ids[5]! + 1) * dim));
    const data = corpus.data.subarray(0, 3000 * dim);
    const exact = await assignExact(data, dim, centroids);
    const grouped = await assignGrouped(data, groups);
    let same = 0;
    for (let t = 0; t < 3000; t++) {
      // The reported similarity is the real dot product with the chosen centroid, never above the best.
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += data[t * dim + d]! * centroids[grouped.codes[t]! * dim + d]!;
      expect(grouped.sims[t]!).toBeCloseTo(dot, 4);
      expect(grouped.sims[t]!).toBeLessThanOrEqual(exact.sims[t]! + 1e-5);
      if (grouped.codes[t] === exact.codes[t]) same++;
    }
    expect(same / 3000).toBeGreaterThan(0.8);
    expect(PROBED_GROUPS).toBeGreaterThan(1);
  });

  it("assignNearest is exact up to EXACT_ASSIGN_MAX centroids and grouped above, deterministically", async () => {
    const corpus = benchCorpus("concepts", { docs: 600, dim, seed: 5 });
    const small = await trainKMeans(corpus.data, dim, { k: 256, seed: 1, iterations: 1 });
    const rows = corpus.data.subarray(0, 2000 * dim);
    expect(await assignNearest(rows, dim, small)).toEqual(await assignExact(rows, dim, small));
    const big = await trainKMeans(corpus.data, dim, { k: EXACT_ASSIGN_MAX * 2, seed: 1, iterations: 1, sampleSize: EXACT_ASSIGN_MAX * 2 });
    const a = await assignNearest(rows, dim, big);
    expect(a).toEqual(await assignGrouped(rows, await groupCentroids(big, dim)));
    expect(await assignNearest(rows, dim, big)).toEqual(a);
  });
});
