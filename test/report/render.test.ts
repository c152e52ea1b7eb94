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
import type { BenchResults } from "../../scripts/bench/results.js";
import { FIXTURE_DIR, fixture, repeatedFixture } from "./fixture.js";

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
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/);
    expect(html).not.toContain("http://cdn");
  });

  it("names an inline icon, so the browser asks for no /favicon.ico (refused to a sandboxed page, a console error)", () => {
    expect(html).toContain('<link rel="icon" href="data:,">');
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
    expect(bytes?.config.data.labels).toEqual([
      ["Polling", "640 B"],
      ["SSE", "200 B"],
      ["WebSocket", "182 B"],
    ]);
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
    expect(md).toContain("HTTP requests per idle client per second: lowest SSE and WebSocket, tied at 0.000; highest Polling 1.000, ∞× the lowest.");
    expect(charts(idle).find((c) => c.name === "per-client")?.config.options?.scales?.y?.type).toBe("logarithmic");
  });
});

describe("zeros in charts", () => {
  const idleWithZero = (): BenchResults => {
    const base = fixture();
    const transports = base.transports.map((run) =>
      run.transport === "ws" ? { ...run, window: { ...run.window, client: { ...run.window.client, bytes: { up: 0, down: 0 } } } } : run,
    );
    return { ...base, config: { ...base.config, scenario: "idle", rate: 0 }, transports };
  };

  it("draws an idle chart with a zero on a linear scale, the zero written out under its bar", () => {
    const chart = charts(idleWithZero()).find((c) => c.name === "per-client");
    expect(chart?.config.options?.scales?.y?.type).not.toBe("logarithmic");
    expect(chart?.config.data.labels).toContainEqual(["WebSocket", "0 B: none (no bar)"]);
    expect(chart?.config.data.datasets[0]?.data).toEqual([6400, 2000, 0]);
  });

  it("keeps the log scale when every value can be drawn on it", () => {
    const idle = { ...fixture(), config: { ...fixture().config, scenario: "idle" as const, rate: 0 } };
    expect(charts(idle).find((c) => c.name === "per-client")?.config.data.labels).toContainEqual(["WebSocket", "1,800 B"]);
  });
});

describe("a report of a run with repeats", () => {
  const r = repeatedFixture();
  const md = renderMarkdown(r);

  it("gives every figure its range and says how the run was made", () => {
    expect(md).toContain("Every figure is the median of 3 repeats of each transport's phase");
    expect(md).toContain("| Polling | 3,000 | 505 ms (454–605) | 901 ms (811–1,081) | 990 ms (891–1,188) |");
    expect(md).toContain("| WebSocket | 0 B (±0) | 182 B (164–218) | 182 B (164–218) |");
    expect(md).toContain("so peak RSS is that transport's alone");
  });

  it("says how busy the machine was", () => {
    const busy = renderMarkdown({ ...r, machine: { ...r.machine, loadAverage: { start: 1.96, end: 2.5 } } });
    expect(busy).toContain("Load average (1 min) 1.96 at the start and 2.50 at the end, on 2 cores");
    expect(md).not.toContain("Load average");
  });

  it("draws the repeats' range over each bar", () => {
    const cpu = charts(r).find((c) => c.name === "server-cpu");
    expect(cpu?.config.data.datasets[1]?.data[0]).toEqual([360, 480]);
    expect(cpu?.config.data.labels).toContainEqual(["Polling", "400 ms (360–480)"]);
  });

  it("says what the server's bytes sent means for a cut connection", () => {
    expect(md).toContain("Node's `socket.bytesWritten`");
    expect(md).toContain("the server's figure can exceed the client's");
  });
});

describe("runs made before --repeat", () => {
  it("still render, warning that one process served every phase and that no spread was measured", () => {
    // The fixture is such a run: no repeats, no freshPerPhase.
    const md = renderMarkdown(fixture());
    expect(md).toContain("**Every phase ran against one server process, so peak RSS grows with the run order and is not comparable across transports**");
    expect(md).toContain("**⚠ One repeat per transport: no spread was measured");
    expect(md).toContain("| Polling | 1,000 | 505 ms | 901 ms | 990 ms | 999 ms | 1,000 ms |");
  });
});
