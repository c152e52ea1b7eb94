import { describe, expect, it } from "vitest";
import { agreement, allFigures, verdict } from "../../scripts/report/summary.js";
import { insights } from "../../scripts/report/insights.js";
import { fixture } from "./fixture.js";

describe("figures derived from a fixed results.json", () => {
  const [poll, sse, ws] = allFigures(fixture());

  it("divides the window's bytes and requests by deliveries, clients and seconds", () => {
    expect(poll?.bytesPerMessage).toEqual({ up: 40, down: 600 });
    expect(poll?.requestsPerMessage).toBe(0.1);
    expect(poll?.requestsPerClientSecond).toBe(1);
    expect(poll?.bytesPerClientSecond).toEqual({ up: 400, down: 6000 });
    expect(poll?.serverCpuMsPer1000).toBe(400);
    expect(ws?.serverCpuMsPer1000).toBeCloseTo(101.01, 2);
  });

  it("puts the model's floor beside the measured bytes", () => {
    // per message: 100 polls × 71 B up; 151 B of message + 100 polls × 93 B down, over 1,000 messages
    expect(poll?.floorPerMessage?.up).toBeCloseTo(7.1, 9);
    expect(poll?.floorPerMessage?.down).toBeCloseTo(160.3, 9);
    expect(poll?.floorRatio).toBeCloseTo(640 / 167.4, 9);
  });

  it("flags a byte disagreement over 1% and accepts one under it", () => {
    expect(poll?.agreement.ok).toBe(true);
    expect(sse?.agreement.ok).toBe(false);
    expect(sse?.agreement.down).toBeCloseTo(5900 / 210_000, 9);
    const counts = (down: number) => ({ bytes: { up: 0, down }, requests: 0, connections: 0 });
    expect(agreement(counts(1000), { ...counts(991), delivered: 0 }).ok).toBe(true);
    expect(agreement(counts(1000), { ...counts(989), delivered: 0 }).ok).toBe(false);
  });

  it("fails the run on any loss", () => {
    expect(verdict(fixture())).toEqual(["WebSocket: 10 of 1000 deliveries lost"]);
    expect(ws?.deliveryOk).toBe(false);
  });
});

describe("what this run shows", () => {
  const lines = insights(fixture());

  it("puts problems first, loudly", () => {
    expect(lines[0]).toBe("**✗ WebSocket: 10 of 1000 deliveries lost.**");
    expect(lines[1]).toMatch(/^\*\*⚠ SSE: client and server byte counts disagree \(up 0\.00%, down 2\.81%\)/);
  });

  it("names the fastest and cheapest transports from the numbers", () => {
    expect(lines).toContainEqual(expect.stringMatching(/^WebSocket was fastest at p99 \(9\.9\d ms\); Polling was slowest \(990 ms, 100× as long\)/));
    expect(lines).toContainEqual(expect.stringMatching(/^WebSocket was cheapest per delivered message \(182 B .*Polling cost the most \(640 B, 3\.5× as much\)/));
    expect(lines).toContainEqual("The server spent least CPU per 1,000 deliveries on WebSocket (101 ms) and most on Polling (400 ms).");
  });
});
