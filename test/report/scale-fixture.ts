import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchResults } from "../../scripts/bench/results.js";
import type { ScaleResults } from "../../scripts/bench/scale/results.js";

/**
 * A fixed scale run, steps 10, 20 and 40, with round figures: every step costs 10 KiB of RSS, 4 KiB
 * of heap and 5 µs of idle CPU per connection and p99 is 4 ms + clients/10; long polling breaks at
 * 20 (p99 1.5 s while other processes kept both cores busy), SSE at 40 (8 deliveries lost while a
 * generator thread was saturated), WebSocket holds throughout.
 */
export const SCALE_FIXTURE_DIR = fileURLToPath(new URL("./fixtures/2026-01-02T000000-scale/", import.meta.url));

export function scaleFixture(): BenchResults & { scale: ScaleResults } {
  return JSON.parse(readFileSync(`${SCALE_FIXTURE_DIR}results.json`, "utf8")) as BenchResults & { scale: ScaleResults };
}
