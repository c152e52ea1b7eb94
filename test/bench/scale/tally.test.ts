import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../protocol/types.js";
import { decode } from "../../../scripts/bench/measure/histogram.js";
import { ScaleTally } from "../../../scripts/bench/scale/tally.js";
import { makeNonce } from "../../../scripts/bench/worker-protocol.js";

const START = 1_700_000_000_000;
const message = (id: number, tag: "w" | "m", seq: number, scheduledMs: number): ChatMessage => ({
  id,
  from: "bench",
  text: "x",
  time: scheduledMs,
  nonce: makeNonce(tag, seq, scheduledMs * 1000),
});

describe("ScaleTally", () => {
  it("counts a window's deliveries per subscriber and their latency from the scheduled time", () => {
    const tally = new ScaleTally();
    const a = tally.add();
    const b = tally.add();
    tally.startWindow(START, 2);
    tally.record(a, message(1, "m", 0, START), START + 5);
    tally.record(b, message(1, "m", 0, START), START + 7);
    tally.record(a, message(2, "m", 1, START + 1000), START + 1010);
    const w = tally.window();
    expect([w.delivered, w.duplicated, w.outOfOrder, w.stale]).toEqual([3, 0, 0, 0]);
    const h = decode(w.histogram);
    expect(h.totalCount).toBe(3);
    expect(h.maxValue).toBeGreaterThanOrEqual(9_990);
    expect(h.maxValue).toBeLessThanOrEqual(10_010);
    h.destroy();
    tally.destroy();
  });

  it("counts a repeat as a duplicate and a lower feed id as out of order", () => {
    const tally = new ScaleTally();
    const a = tally.add();
    tally.startWindow(START, 3);
    tally.record(a, message(5, "m", 1, START + 1000), START + 1001);
    tally.record(a, message(5, "m", 1, START + 1000), START + 1002);
    tally.record(a, message(4, "m", 0, START), START + 1003);
    const w = tally.window();
    expect([w.delivered, w.duplicated, w.outOfOrder]).toEqual([2, 1, 1]);
    tally.destroy();
  });

  it("never counts an earlier window's straggler as this window's message, and keeps warm-ups apart", () => {
    const tally = new ScaleTally();
    const a = tally.add();
    tally.startWindow(START, 2);
    tally.record(a, message(1, "m", 0, START), START + 1);
    tally.startWindow(START + 60_000, 2);
    // Same sequence number, scheduled in the first window: late, not window two's seq 0.
    tally.record(a, message(2, "m", 0, START + 500), START + 60_001);
    tally.record(a, message(3, "w", 0, START + 59_000), START + 60_002);
    const w = tally.window();
    expect([w.delivered, w.stale, tally.warmup]).toEqual([0, 1, 1]);
    tally.destroy();
  });

  it("does not expect deliveries from a subscriber added after the window opened", () => {
    const tally = new ScaleTally();
    tally.add();
    tally.startWindow(START, 1);
    const late = tally.add();
    tally.record(late, message(1, "m", 0, START), START + 3);
    expect(tally.window().delivered).toBe(0);
    expect(tally.subscribers).toBe(2);
    tally.destroy();
  });
});
