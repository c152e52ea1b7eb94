import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchResults } from "../../scripts/bench/results.js";

/** A fixed results.json with round numbers: a clean poll run, an SSE run whose byte counts disagree, a WebSocket run with loss. */
export const FIXTURE_DIR = fileURLToPath(new URL("./fixtures/2026-01-01T000000-chat/", import.meta.url));

export function fixture(): BenchResults {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}results.json`, "utf8")) as BenchResults;
}
