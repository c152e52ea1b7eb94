import { defineConfig } from "vitest/config";

/** `npm run test:soak`: one bounded soak (about two minutes), alone, so it has both cores. */
export default defineConfig({
  test: {
    include: ["test/soak/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
