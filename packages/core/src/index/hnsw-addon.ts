/**
 * hnswlib-node, loaded only when it is used. It is an optional dependency with a compiled addon:
 * pnpm 10 blocks its build script unless the user approves it, npm compiles it from source (and
 * fails without Node headers), so importing maxsim must never need it. The first call tries to
 * load it once and remembers the outcome; callers fall back to exact probing when it is missing.
 */
import { createRequire } from "node:module";

/** The part of hnswlib-node's `HierarchicalNSW` that maxsim uses. */
export interface HnswGraph {
  initIndex(options: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number }): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(point: number[], k: number): { neighbors: number[]; distances: number[] };
  getCurrentCount(): number;
}

/** The hnswlib-node module surface maxsim uses. */
export interface HnswModule {
  HierarchicalNSW: new (space: "ip" | "l2" | "cosine", dim: number) => HnswGraph;
}

/** Whether hnswlib-node loaded, and why not when it did not. */
export type HnswStatus = { available: true; module: HnswModule } | { available: false; reason: string };

let status: HnswStatus | null = null;

/**
 * Loads hnswlib-node once (a `require` through `createRequire`, so bundlers leave the native
 * package external and a missing addon is an ordinary, caught error).
 *
 * @example
 * ```ts
 * import { hnswStatus } from "@maxsim/core";
 * const s = hnswStatus();
 * console.log(typeof s.available); // boolean
 * ```
 */
export function hnswStatus(): HnswStatus {
  if (status !== null) return status;
  try {
    const required = createRequire(import.meta.url)("hnswlib-node") as HnswModule | { default: HnswModule };
    const module = "HierarchicalNSW" in required ? required : required.default;
    // The package's JS loads without its addon on some installs; constructing a graph proves it.
    new module.HierarchicalNSW("ip", 2).initIndex({ maxElements: 1 });
    status = { available: true, module };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    status = { available: false, reason: message };
  }
  return status;
}
