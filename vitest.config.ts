import { defineConfig } from "vitest/config";

/** `npm test`: unit and integration suites. Browser (e2e), fault and soak suites have their own configs. */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/fault/**", "test/soak/**", "test/hostile/**", "test/cluster/**", "node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
