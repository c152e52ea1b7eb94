import { describe, expect, it } from "vitest";
import { handshakeDelayMs, releaseAt, segmentBytes, serializationMs } from "../../scripts/net/schedule.js";

const rate = { oneWayMs: 50, bitsPerSecond: 8e6 };

describe("the link's timing model", () => {
  it("delivers a lone segment one way later plus its serialization time", () => {
    // 1,000 bytes at 8 Mbit/s: 1 ms on the wire.
    expect(serializationMs(1000, 8e6)).toBe(1);
    expect(releaseAt(0, 1000, Number.NEGATIVE_INFINITY, rate)).toBe(51);
  });

  it("queues a sender faster than the link, so bytes leave at the link's rate", () => {
    let previous = Number.NEGATIVE_INFINITY;
    const releases: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      previous = releaseAt(0, 1000, previous, rate);
      releases.push(previous);
    }
    expect(releases).toEqual([51, 52, 53, 54, 55]);
  });

  it("lets an idle link deliver the next segment on its own schedule, not after the last one", () => {
    expect(releaseAt(100, 1000, 51, rate)).toBe(151);
  });

  it("adds no serialization on an unlimited link", () => {
    expect(releaseAt(10, 1e6, 0, { oneWayMs: 0, bitsPerSecond: null })).toBe(10);
  });

  it("cuts segments of about 5 ms on the wire, one MSS at least, 64 KiB at most", () => {
    expect(segmentBytes(8e6)).toBe(5000);
    expect(segmentBytes(0.75e6)).toBe(1460);
    expect(segmentBytes(1e9)).toBe(64 * 1024);
    expect(segmentBytes(null)).toBe(64 * 1024);
  });

  it("opens the upstream connection 1.5 RTT after the client's connect, when a real server would accept", () => {
    expect(handshakeDelayMs(100)).toBe(150);
    expect(handshakeDelayMs(0)).toBe(0);
  });
});
