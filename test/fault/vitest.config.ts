import { defineConfig } from "vitest/config";

/**
 * `npm run test:fault`: faults, slow consumers, limits, hostile input and fuzzing, each against a
 * real server on 127.0.0.1. Files run one at a time: several of them measure timing and memory,
 * which a neighbour competing for two CI cores would distort.
 */
export default defineConfig({
  test: {
    include: ["test/fault/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
