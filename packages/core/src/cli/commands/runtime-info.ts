/**
 * What `maxsim info` prints about this installation: versions, and which centroid prober
 * approximate search uses (exact ONNX Runtime product or hnswlib-node) and how to switch.
 */
import { createRequire } from "node:module";
import { hnswStatus } from "../../index/hnsw-addon.js";
import { HNSW_ENABLE_HINT, HNSW_MIN_CENTROIDS } from "../../index/plaid.js";
import { maxsimVersion } from "../../version.js";

/** The centroid-probing part of `maxsim info`. */
export interface CentroidProbingInfo {
  /** What approximate search uses on this installation. */
  active: string;
  /** Whether hnswlib-node's addon loads, and why not. */
  hnswlib: string;
  /** How to turn the other prober on (or off). */
  howToChange: string;
}

/** Describes which centroid prober is active here and how to enable the other one. */
export function centroidProbingInfo(): CentroidProbingInfo {
  const status = hnswStatus();
  const forced = process.env.MAXSIM_CENTROID_PROBER;
  if (!status.available) {
    return {
      active: "exact: query-centroid similarities from the ONNX Runtime product (hnswlib-node is not installed)",
      hnswlib: `not loadable: ${status.reason}`,
      howToChange: `${HNSW_ENABLE_HINT} HNSW then probes indexes with at least ${HNSW_MIN_CENTROIDS} centroids, where it is faster than the exact product.`,
    };
  }
  return {
    active:
      forced === "exact" || forced === "hnsw"
        ? `${forced} (MAXSIM_CENTROID_PROBER=${forced})`
        : `exact below ${HNSW_MIN_CENTROIDS} centroids, hnswlib-node from ${HNSW_MIN_CENTROIDS} (where its graph beats the exact product)`,
    hnswlib: "installed (addon loads)",
    howToChange:
      "MAXSIM_CENTROID_PROBER=exact always probes exactly (recall at least HNSW's); MAXSIM_CENTROID_PROBER=hnsw always uses the graph; unset = auto.",
  };
}

/** Versions and centroid probing: what `maxsim info` prints with no argument. */
export function runtimeInfo(): Record<string, unknown> {
  let ort = "unknown";
  try {
    ort = (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
  } catch {
    // package.json not exported by some versions: leave it unknown.
  }
  return { maxsim: maxsimVersion(), node: process.versions.node, onnxruntimeNode: ort, centroidProbing: centroidProbingInfo() };
}
