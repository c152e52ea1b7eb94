import { describe, expect, it } from "vitest";
import { agreement, allFigures, spreadAcross, verdict, type TransportFigures } from "../../scripts/report/summary.js";
import { comparison, insights } from "../../scripts/report/insights.js";
import { fixture, repeatedFixture } from "./fixture.js";

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

  it("ranks transports from the numbers, says a single repeat measured no spread, and calls ties ties", () => {
    expect(lines).toContain("**⚠ One repeat per transport: no spread was measured, so the differences below may be noise (`--repeat 3` measures it).**");
    expect(lines).toContain("p99 latency: lowest WebSocket 9.92 ms; highest Polling 990 ms, 100× the lowest.");
    expect(lines).toContain("Bytes per delivered message (both directions): lowest WebSocket 182 B; highest Polling 640 B, 3.5× the lowest.");
    expect(lines).toContain("HTTP requests per delivered message: lowest SSE and WebSocket, tied at 0.000; highest Polling 0.100, ∞× the lowest.");
    expect(lines).toContain("Server CPU per 1,000 deliveries: lowest WebSocket 101 ms; highest Polling 400 ms, 4.0× the lowest.");
  });
});

describe("a run with repeats", () => {
  const r = repeatedFixture();
  const lines = insights(r);
  const [poll, sse, ws] = allFigures(r);

  it("shows each figure as the median of the repeats, with their range", () => {
    expect(poll?.perRepeat).toHaveLength(3);
    expect(poll?.latency.p99).toBeCloseTo(990.207, 3);
    expect(poll?.latency.count).toBe(3_000);
    expect(spreadAcross(ws as TransportFigures, (f) => f.serverCpuMsPer1000)?.max).toBeCloseTo(121.21, 2);
    // bytes follow the repeat with the median total, so up + down is that total
    expect(sse?.bytesPerMessage).toEqual({ up: 0, down: 200 });
  });

  it("ranks only what lies outside the noise, and says so for the rest", () => {
    expect(lines).toContain(
      "Bytes per delivered message (both directions): lowest WebSocket 182 B (164–218) and SSE 200 B (180–240), within noise of each other; highest Polling 640 B (576–768), 3.5× (2.6–4.7×) the lowest.",
    );
    expect(lines).toContain("p99 latency: lowest WebSocket 9.92 ms (8.93–11.9); highest Polling 990 ms (891–1,188), 100× (75–133×) the lowest.");
    expect(lines.some((l) => l.includes("One repeat per transport"))).toBe(false);
  });

  it("judges agreement by the worst repeat and delivery by the sum", () => {
    expect(sse?.agreement.ok).toBe(false);
    expect(verdict(r)).toEqual(["WebSocket: 30 of 3000 deliveries lost"]);
  });
});

describe("findings among ties and noise", () => {
  const rated = (label: string, median: number, min: number, max: number) => ({ label, spread: { median, min, max, n: 3 } });

  it("declares no winner among a tie at zero, and prints the ratio against it", () => {
    const line = comparison(
      "Bytes per idle client per second",
      [rated("Polling", 393, 390, 396), rated("Long polling", 0, 0, 0), rated("SSE", 0, 0, 0), rated("WebSocket", 0, 0, 0)],
      (v) => `${v} B`,
    );
    expect(line).toBe(
      "Bytes per idle client per second: lowest Long polling, SSE and WebSocket, tied at 0 B (±0); highest Polling 393 B (390–396), ∞× the lowest.",
    );
  });

  it("says within noise when the lowest and highest ranges overlap", () => {
    const line = comparison("p99 latency", [rated("SSE", 4.1, 3.8, 4.6), rated("WebSocket", 3.6, 3.4, 3.9)], (v) => `${v.toFixed(1)} ms`);
    expect(line).toBe(
      "p99 latency: all within noise of each other, no ranking: WebSocket 3.6 ms (3.4–3.9) and SSE 4.1 ms (3.8–4.6) (highest median over lowest 1.1× (1.0–1.4×)).",
    );
  });

  it("names a transport within noise of both ends without placing it", () => {
    const line = comparison("CPU", [rated("A", 1, 0.5, 2), rated("B", 3, 1.5, 5), rated("C", 6, 4.5, 7)], (v) => `${v} ms`);
    expect(line).toBe("CPU: lowest A 1 ms (0.5–2); highest C 6 ms (4.5–7), 6.0× (2.3–14×) the lowest; B 3 ms (1.5–5) within noise of both ends, not ranked.");
  });
});
