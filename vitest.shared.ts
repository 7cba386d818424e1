import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings. Workspace packages resolve each other's TypeScript source through the
 * `source` export condition, so tests never run against a stale `dist/`.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ["source", "import", "node", "default"] },
  ssr: { resolve: { conditions: ["source", "import", "node", "default"], externalConditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.int.test.ts", "**/node_modules/**"],
    // Real ONNX sessions and generated fixtures: give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
