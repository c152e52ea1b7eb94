import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** `npm run test:e2e`: the dashboard in real headless Chromium against the real server. */
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    // One browser at a time: the machine has two cores and the server and Chromium share them.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
