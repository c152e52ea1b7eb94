import { describe, expect, it } from "vitest";
import { charts } from "../../scripts/report/charts.js";
import { runSummary } from "../../scripts/report/index-page.js";
import { insights } from "../../scripts/report/insights.js";
import { renderHtml } from "../../scripts/report/render-html.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { verdict } from "../../scripts/report/summary.js";
import { scaleFixture } from "./scale-fixture.js";

describe("scale report (fixture results.json)", () => {
  const r = scaleFixture();

  it("says where each transport broke, and which knee is not the transport's", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("## Where each transport breaks");
    expect(md).toContain("| Long polling | 10 | 20 | p99 1,500 ms over the 1,000 ms a message may take at this rate");
    expect(md).toContain("| SSE | 20 | 40 | 8 of 80 deliveries lost | **generator**: the load generator was saturated in the latency window");
    expect(md).toContain("| WebSocket | 40 | none | – | – |");
  });

  it("gives the figures at the largest step: memory and idle CPU per connection, p50, p99, errors", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("## At the largest step");
    expect(md).toMatch(/\| WebSocket \| 40 \| 40 \| 0 \| 10\.0 KiB \| 4,096 B \| 5\.00 µs \| 6 ms \| 8 ms \| 0 \|/);
    expect(md).toContain("## Every step");
    expect(md).toContain("## Load generator and machine");
  });

  it("describes the ramp and the machine's limits in the head", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("10, 20, 40 subscribers per transport");
    expect(md).toContain("Each transport ramped against a fresh server process");
    expect(md).toMatch(/File descriptors: soft limit [0-9,]+, hard [0-9,]+, 296 needed by each process/);
  });

  it("flags, in its findings, the knees that are the generator's or the machine's", () => {
    const lines = insights(r);
    expect(lines.some((l) => l.startsWith("WebSocket at 40: 40 connected (0 failed attempts), 10.0 KiB RSS and 4,096 B heap per connection"))).toBe(true);
    expect(lines).toContain(
      "**⚠ SSE: the knee may be the generator's limit, not the transport's: the load generator was saturated in the latency window (subscribers-1 event loop busy 95% of the window).**",
    );
    expect(lines.some((l) => l.startsWith("**⚠ Long polling: the knee may be the machine's limit"))).toBe(true);
    expect(lines.some((l) => l.startsWith("**⚠ WebSocket"))).toBe(false);
  });

  it("fails the run only on duplicates, reordering and failed publishes, not on the losses that mark a knee", () => {
    expect(verdict(r)).toEqual([]);
    const broken = scaleFixture();
    const step = broken.scale.transports[1]?.steps[0];
    if (step === undefined) throw new Error("empty fixture");
    step.latency.duplicated = 2;
    expect(verdict(broken)).toEqual(["sse at 10: 2 duplicate deliveries"]);
  });

  it("draws p99, memory and idle CPU over the ramp, one line per transport", () => {
    const named = charts(r);
    expect(named.map((c) => c.name)).toEqual(["scale-p99", "scale-rss", "scale-idle-cpu"]);
    const p99 = named[0]?.config.data.datasets ?? [];
    expect(p99.map((d) => d.label)).toEqual(["Long polling", "SSE", "WebSocket"]);
    expect(p99[2]?.data).toEqual([
      { x: 10, y: 5 },
      { x: 20, y: 6 },
      { x: 40, y: 8 },
    ]);
    const html = renderHtml(r, "/* chart.js */");
    expect(html).toContain('id="chart-scale-p99"');
    expect(html).toContain('<h2 id="scale-knee">');
  });

  it("is listed in the runs index with its steps", () => {
    const summary = runSummary("2026-01-02T000000-scale", r);
    expect(summary.scenario).toBe("scale");
    expect(summary.workload).toContain("10, 20, 40 subscribers per transport");
    expect(summary.ok).toBe(true);
  });
});
