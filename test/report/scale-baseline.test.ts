import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import { charts } from "../../scripts/report/charts.js";
import { insights } from "../../scripts/report/insights.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { compareScale, compareStep, ratioCell, ratioOf, SCALE_TARGETS } from "../../scripts/report/scale-baseline.js";
import { scaleFigures } from "../../scripts/report/scale-figures.js";
import { verdict } from "../../scripts/report/summary.js";
import { scaleBaselineFixture, scaleFixture } from "./scale-fixture.js";

describe("scale against a bare server: ratios and targets", () => {
  it("is met at the target itself and missed above it; no ratio unless both figures are above zero", () => {
    expect(ratioOf(12, 10, 1.2)).toEqual({ project: 12, bare: 10, ratio: 1.2, target: 1.2, met: true });
    expect(ratioOf(12.5, 10, 1.2).met).toBe(false);
    expect(ratioOf(5, 10, null)).toEqual({ project: 5, bare: 10, ratio: 0.5, target: null, met: null });
    // Per-connection memory at a small step can come out negative: noise, not a ratio.
    expect(ratioOf(-2_000, 8_000, 1.3)).toMatchObject({ ratio: null, met: null });
    expect(ratioOf(8_000, 0, 1.3)).toMatchObject({ ratio: null, met: null });
    expect(ratioOf(null, 10, 1.2)).toMatchObject({ ratio: null, met: null });
  });

  it("renders a ratio with its verdict, without one where no target applies", () => {
    expect(ratioCell(ratioOf(13, 10, 1.2))).toBe("1.30×: **missed**");
    expect(ratioCell(ratioOf(11, 10, 1.2))).toBe("1.10×: met");
    expect(ratioCell(ratioOf(9, 10, null))).toBe("0.90×");
    expect(ratioCell(ratioOf(-1, 10, 1.2))).toBe("–");
  });

  it("judges memory per connection by its ratio and by 50 KB, and gives polling no target", () => {
    const r = scaleBaselineFixture();
    const lab = scaleFigures(r.scale, r.config, r.machine.cores);
    const ws = lab.find((t) => t.transport === "ws")?.steps[2];
    if (ws === undefined) throw new Error("fixture without WebSocket at 40");
    const heavy = compareStep("ws", { ...ws, rssPerConnection: 60_000 }, { ...ws, rssPerConnection: 50_000 });
    expect(heavy.rssPerConnection).toMatchObject({ ratio: 1.2, underCap: false, met: false });
    expect(compareStep("ws", { ...ws, rssPerConnection: 40_000 }, { ...ws, rssPerConnection: 40_000 }).rssPerConnection.met).toBe(true);
    const poll = compareStep("poll", { ...ws, p99: 3_000 }, { ...ws, p99: 1_000 });
    expect([poll.p99.ratio, poll.p99.met, poll.cpuPer1000.target, poll.rssPerConnection.underCap]).toEqual([3, null, null, null]);
    expect(poll.requestsPerSecond).not.toBeNull();
    expect(SCALE_TARGETS).toEqual({ p99: 1.2, cpuPer1000: 1.15, memoryPerConnection: 1.3, memoryPerConnectionBytes: 50_000 });
  });

  it("pairs the two ramps step by step, as far as both went, and flags a step either side's generator or machine limited", () => {
    const r = scaleBaselineFixture();
    const list = compareScale(r.scale, r.config, r.machine.cores);
    expect(list.map((t) => [t.transport, t.targeted, t.steps.map((s) => s.clients)])).toEqual([
      ["long-poll", false, [10, 20]],
      ["sse", true, [10, 20, 40]],
      ["ws", true, [10, 20, 40]],
    ]);
    const ws = list[2]?.steps[2];
    expect([ws?.p99.ratio, ws?.p99.met, ws?.cpuPer1000.ratio, ws?.cpuPer1000.met, ws?.rssPerConnection.ratio, ws?.rssPerConnection.met]).toEqual([
      expect.closeTo(1.1, 6),
      true,
      expect.closeTo(1.25, 6),
      false,
      1.25,
      true,
    ]);
    const sse = list[1]?.steps;
    expect(sse?.map((s) => s.notServers)).toEqual([false, false, true]);
    expect(sse?.[2]?.projectLimit?.kind).toBe("generator");
    expect(sse?.[2]?.bareLimit).toBeNull();
    // Long polling at 20: the machine was busy on both sides.
    expect(list[0]?.steps[1]?.notServers).toBe(true);
    expect(compareScale(scaleFixture().scale, r.config, r.machine.cores)).toEqual([]);
  });
});

describe("scale report with --baseline (fixture)", () => {
  const r = scaleBaselineFixture();
  const md = renderMarkdown(r);

  it("has a section Against a bare server: ratios and targets met or missed per step, whose limit each is, single samples said", () => {
    expect(md).toContain("## Against a bare server");
    expect(md).toContain("**One ramp per side: every ratio is a single sample, with no spread.**");
    expect(md).toContain("The bare server sends no WebSocket pings");
    expect(md).toContain(
      "| WebSocket | 40 | 8 ms / 7.27 ms | 1.10×: met | 1,250 ms / 1,000 ms | 1.25×: **missed** | 10.0 KiB / 8,192 B | 1.25×: met | 4,096 B / 4,096 B | 1.00× | 5.00 µs / 5.00 µs | 1.00× (bare: no pings) | – | – |",
    );
    expect(md).toContain("| SSE | 20 | 6 ms / 4 ms | 1.50×: **missed** | 2,500 ms / 2,500 ms | 1.00×: met | 10.0 KiB / 5,120 B | 2.00×: **missed** |");
    expect(md).toMatch(
      /\| SSE \| 40 \|[^\n]*\| \*\*⚠ not the servers' alone\*\*: lab: \*\*generator\*\*: the load generator was saturated[^\n]*; bare: none flagged \|/,
    );
    // Polling and long polling: ratios without targets, and the requests each server served.
    expect(md).toContain("| Long polling | 10 | 5 ms / 2.50 ms | 2.00× | 5,000 ms / 2,500 ms | 2.00× | 10.0 KiB / 10.0 KiB | 1.00× |");
    expect(md).toContain("| 10 / 10 (1.00×) |");
    expect(md).toContain("## The bare server's ramp, every step");
    expect(md).toContain("the same ramp against the bare reference server (`scripts/bench/baselines/`), on a fresh process");
  });

  it("says both servers ping where the run records that the bare server pinged too", () => {
    const pinged = scaleBaselineFixture();
    pinged.scale.bareWebSocketPings = true;
    const text = renderMarkdown(pinged);
    expect(text).toContain("Both servers ping each WebSocket every LAB_WS_PING_MS");
    expect(text).not.toContain("The bare server sends no WebSocket pings");
    expect(text).toContain("| 5.00 µs / 5.00 µs | 1.00× | – | – |");
    expect(text).not.toContain("(bare: no pings)");
  });

  it("gives a finding per transport at the largest step both measured, flagged where it is not the servers' alone", () => {
    const lines = insights(r);
    expect(lines).toContain(
      "WebSocket at 40 against the bare server (lab / bare, single samples): p99 1.10× (8 ms / 7.27 ms): met, CPU per 1,000 deliveries 1.25× (1,250 ms / 1,000 ms): **missed**, RSS per connection 1.25× (10.0 KiB / 8,192 B): met.",
    );
    expect(lines.some((l) => l.startsWith("SSE at 40 against the bare server") && l.includes("p99 1.50× (8 ms / 5.33 ms): **missed**"))).toBe(true);
    expect(lines.some((l) => l.startsWith("**⚠ SSE at 40: these ratios are not the servers' alone: lab: generator:"))).toBe(true);
    expect(lines.some((l) => l.startsWith("**⚠ WebSocket at"))).toBe(false);
    const longPoll = lines.find((l) => l.startsWith("Long polling at 20 against the bare server"));
    expect(longPoll).toContain("no target for long polling, reported as far as it goes: the lab's knee at 20");
    expect(lines).toContain("Long polling: the lab's ramp reached 40 and the bare server's 20; the ratios stop at the last step both measured.");
  });

  it("fails the run on a duplicate or reordered delivery on the bare side too, named as the bare server's", () => {
    expect(verdict(r)).toEqual([]);
    const broken = scaleBaselineFixture();
    const step = broken.scale.bare?.[2]?.steps[1];
    if (step === undefined) throw new Error("fixture without a bare WebSocket step");
    step.latency.outOfOrder = 3;
    expect(verdict(broken)).toEqual(["ws (bare server) at 20: 3 deliveries out of order"]);
  });

  it("draws the bare server's ramps as dashed lines beside the lab's", () => {
    const p99 = charts(r).find((c) => c.name === "scale-p99")?.config.data.datasets ?? [];
    expect(p99.map((d) => d.label)).toEqual(["Long polling", "SSE", "WebSocket", "Long polling (bare server)", "SSE (bare server)", "WebSocket (bare server)"]);
    expect(p99[5]).toMatchObject({ borderDash: [6, 4], data: [{ x: 10 }, { x: 20 }, { x: 40 }] });
    expect(p99[3]?.data).toHaveLength(2);
    expect(p99[2]).not.toHaveProperty("borderDash");
  });

  it("leaves a run made without --baseline as it was", () => {
    expect(renderMarkdown(scaleFixture())).not.toContain("bare");
  });
});

describe("committed scale runs", () => {
  for (const run of ["2026-11-26T054552-scale", "2026-11-26T061750-scale"]) {
    it(`${run} renders as committed`, () => {
      const dir = fileURLToPath(new URL(`../../results/${run}/`, import.meta.url));
      const results = JSON.parse(readFileSync(`${dir}results.json`, "utf8")) as BenchResults;
      expect(renderMarkdown(results)).toBe(readFileSync(`${dir}report.md`, "utf8"));
    });
  }
});
