import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { charts } from "../../scripts/report/charts.js";
import { renderIndex, runSummary } from "../../scripts/report/index-page.js";
import { renderHtml, scriptSafe } from "../../scripts/report/render-html.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { FIXTURE_DIR, fixture } from "./fixture.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("report.md", () => {
  const md = renderMarkdown(fixture());

  it("shows every table with the derived figures", () => {
    expect(md).toContain("## What this run shows");
    expect(md).toContain("| Polling | 40 B | 600 B | 640 B | 167 B | 473 B | 3.82× |");
    expect(md).toContain("| WebSocket | 1,000 | 990 | 10 | 0 | 0 | 0 | 0 | 0 | **✗** |");
    expect(md).toContain("| SSE | 1,000 B | 1,000 B | 205.1 KiB | 199.3 KiB | 0.00% | 2.81% | **✗** |");
    // latencies ramp evenly from 10 to 1,000 ms
    expect(md).toContain("| Polling | 1,000 | 505 ms | 901 ms | 990 ms | 999 ms | 1,000 ms |");
  });
});

describe("report.html", () => {
  const html = renderHtml(fixture(), "/* chart.js */ window.Chart = function () {};");

  it("is self-contained: chart.js inlined, nothing loaded from elsewhere", () => {
    expect(html).toContain("/* chart.js */");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toContain("http://cdn");
  });

  it("has a canvas and data for each chart, and the findings", () => {
    for (const chart of charts(fixture())) expect(html).toContain(`id="chart-${chart.name}"`);
    expect(html).toContain("<li><strong>✗ WebSocket: 10 of 1000 deliveries lost.</strong></li>");
  });

  it("cannot be broken out of by text inside scripts", () => {
    expect(scriptSafe('{"a":"</script><script>x"}')).toBe('{"a":"<\\/script><script>x"}');
  });
});

describe("charts", () => {
  it("stacks the floor under the overhead per message", () => {
    const bytes = charts(fixture()).find((c) => c.name === "bytes-per-message");
    const [floor, overhead] = bytes?.config.data.datasets ?? [];
    expect(floor?.data[0]).toBeCloseTo(167.4, 9);
    expect(overhead?.data[0]).toBeCloseTo(472.6, 9);
    expect(bytes?.config.data.labels).toEqual(["Polling", "SSE", "WebSocket"]);
  });
});

describe("results/index.html", () => {
  it("links each run and embeds its summary for the comparison", () => {
    const page = renderIndex([runSummary("2026-01-01T000000-chat", fixture())]);
    expect(page).toContain('<a href="2026-01-01T000000-chat/report.html">');
    expect(page).toContain("<strong>delivery problems</strong>");
    expect(page).toContain('"bytesPerMessage":640');
  });
});

describe("npm run report", () => {
  it("rebuilds every report file from results.json alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    try {
      await cp(FIXTURE_DIR, dir, { recursive: true });
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ["--import", "tsx", "scripts/report/cli.ts", dir], { cwd: ROOT }, (error) => (error ? reject(error) : resolve()));
      });
      expect(await readFile(join(dir, "report.md"), "utf8")).toBe(renderMarkdown(fixture()));
      for (const name of ["report.html", "latency.png", "bytes-per-message.png", "per-client.png", "server-cpu.png"]) {
        expect((await stat(join(dir, name))).size, name).toBeGreaterThan(1000);
      }
      const png = await readFile(join(dir, "latency.png"));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("an idle run's report", () => {
  const idle = { ...fixture(), config: { ...fixture().config, scenario: "idle" as const, rate: 0 } };

  it("leaves out latency and per-message tables, and says what idling cost", () => {
    const md = renderMarkdown(idle);
    expect(md).not.toContain("## End-to-end latency");
    expect(md).not.toContain("## Bytes on the wire per delivered message");
    expect(md).toContain("While idle, HTTP requests per client per second: Polling 1.000; SSE and WebSocket made none.");
    expect(charts(idle).find((c) => c.name === "per-client")?.config.options?.scales?.y?.type).toBe("logarithmic");
  });
});
