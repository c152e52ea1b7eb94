import { defineConfig } from "vitest/config";

/**
 * `npm run test:cluster`: several server instances sharing a real redis-server (and, through the
 * cluster scripts, HAProxy), each started by the tests themselves on loopback; skipped with a
 * message where redis-server is not installed. Files run one at a time: each starts its own
 * processes, and they would compete for two CI cores.
 */
export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
