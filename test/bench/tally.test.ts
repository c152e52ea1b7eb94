import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../protocol/types.js";
import { summarize } from "../../scripts/bench/measure/histogram.js";
import { Tally } from "../../scripts/bench/tally.js";
import { makeNonce, parseNonce } from "../../scripts/bench/worker-protocol.js";

const START_MS = 1_767_225_600_000;

function message(id: number, tag: "w" | "m", seq: number, scheduledMs: number): ChatMessage {
  return { id, from: "bench", text: "x", time: scheduledMs, nonce: makeNonce(tag, seq, Math.round(scheduledMs * 1000)) };
}

describe("delivery tally", () => {
  it("round-trips the publisher's nonce and ignores foreign ones", () => {
    expect(parseNonce(makeNonce("m", 12, 1_767_225_600_123_456))).toEqual({ tag: "m", seq: 12, scheduledUs: 1_767_225_600_123_456 });
    expect(parseNonce("someone-else")).toBeNull();
    expect(parseNonce(undefined)).toBeNull();
  });

  it("measures latency from the scheduled send time", () => {
    const tally = new Tally(1, 10);
    tally.startWindow(START_MS);
    tally.record(0, message(101, "m", 0, START_MS), START_MS + 25);
    tally.record(0, message(102, "m", 1, START_MS + 100), START_MS + 1100);
    const s = summarize(tally.histogram);
    expect(tally.delivered).toBe(2);
    expect(s.p50).toBeCloseTo(25, 1);
    expect(s.max).toBeCloseTo(1000, 0);
    expect(tally.encodedPerSecond().map(([second]) => second)).toEqual([0]);
  });

  it("counts a second copy as a duplicate, not a delivery", () => {
    const tally = new Tally(2, 10);
    tally.record(0, message(101, "m", 0, START_MS), START_MS + 1);
    tally.record(0, message(101, "m", 0, START_MS), START_MS + 2);
    tally.record(1, message(101, "m", 0, START_MS), START_MS + 2);
    expect([tally.delivered, tally.duplicated]).toEqual([2, 1]);
  });

  it("judges order by feed id, since publishes may be stored in any order", () => {
    const tally = new Tally(1, 10);
    tally.record(0, message(101, "m", 1, START_MS), START_MS + 1);
    tally.record(0, message(102, "m", 0, START_MS), START_MS + 1);
    expect(tally.outOfOrder).toBe(0);
    tally.record(0, message(100, "m", 2, START_MS), START_MS + 1);
    expect(tally.outOfOrder).toBe(1);
  });

  it("keeps warm-up messages out of the measured figures", () => {
    const tally = new Tally(1, 10);
    tally.record(0, message(101, "w", 0, START_MS), START_MS + 1);
    expect([tally.warmup, tally.delivered, tally.histogram.totalCount]).toEqual([1, 0, 0]);
  });
});
