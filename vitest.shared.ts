import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings. Workspace packages resolve each other's TypeScript source through the
 * `@maxsim/source` export condition, so tests never run against a stale `dist/`.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ["@maxsim/source", "module", "node", "development|production"] },
  // No explicit "import"/"default": Vite adds import/require per import kind, and forcing
  // "import" made protobufjs' require("long") get long's ESM build (onnx-proto then fails).
  ssr: { resolve: { conditions: ["@maxsim/source", "module", "node", "development|production"], externalConditions: ["@maxsim/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.int.test.ts", "**/node_modules/**"],
    // Real ONNX sessions and generated fixtures: give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
