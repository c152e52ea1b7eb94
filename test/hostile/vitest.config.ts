import { defineConfig } from "vitest/config";

/**
 * `npm run test:hostile`: what an attacker would do, replayed against a real server process with
 * default settings, asserting the bounds README promises (memory, sockets, slots, log lines, an
 * answering `/api/health`). Files run one at a time: they measure a process's memory.
 */
export default defineConfig({
  test: {
    include: ["test/hostile/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
