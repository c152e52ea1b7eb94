import { describe, expect, it } from "vitest";
import type { BenchResults, TransportRun } from "../../scripts/bench/results.js";
import { wireFor, type HttpVersion } from "../../scripts/bench/wire.js";
import { charts } from "../../scripts/report/charts.js";
import { insights } from "../../scripts/report/insights.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { spreadOf } from "../../scripts/report/spread.js";
import { allFigures, runLabel } from "../../scripts/report/summary.js";
import { sections } from "../../scripts/report/tables.js";
import { hasVersions, versionPairs, versionRatio, versionTable, wireProblems } from "../../scripts/report/versions.js";
import { repeatedFixture } from "./fixture.js";

/** The repeated fixture as an `--http both` run: each transport once per version, HTTP/2's window bytes `factor` times HTTP/1.1's. */
function bothVersions(factor: number): BenchResults {
  const base = repeatedFixture();
  const on = (run: TransportRun, version: HttpVersion): TransportRun => {
    const wire = wireFor(run.transport, version, { tls: false, h2Shared: false });
    const scale = version === "2" ? factor : 1;
    const one = (r: TransportRun): TransportRun => ({
      ...r,
      wire,
      window: { ...r.window, client: { ...r.window.client, bytes: { up: r.window.client.bytes.up * scale, down: r.window.client.bytes.down * scale } } },
    });
    return { ...one(run), repeats: (run.repeats ?? []).map(one) };
  };
  return {
    ...base,
    config: { ...base.config, http: ["1.1", "2"] },
    transports: [...base.transports.map((run) => on(run, "1.1")), ...base.transports.map((run) => on(run, "2"))],
  };
}

describe("HTTP/1.1 and HTTP/2 side by side", () => {
  const r = bothVersions(0.5);
  const list = allFigures(r);

  it("names each run by what it spoke, WebSocket in an HTTP/2 phase by the HTTP/1.1+TLS it used", () => {
    expect(list.map((f) => f.label)).toEqual([
      "Polling · HTTP/1.1",
      "SSE · HTTP/1.1",
      "WebSocket · HTTP/1.1",
      "Polling · HTTP/2",
      "SSE · HTTP/2",
      "WebSocket · HTTP/1.1+TLS (HTTP/2 phase)",
    ]);
    expect(runLabel({ transport: "sse" })).toBe("SSE");
  });

  it("pairs each transport's two phases", () => {
    const pairs = versionPairs(list);
    expect(pairs.map((p) => [p.transport, p.h1.run.wire?.phase, p.h2.run.wire?.phase])).toEqual([
      ["poll", "1.1", "2"],
      ["sse", "1.1", "2"],
      ["ws", "1.1", "2"],
    ]);
    expect(versionPairs(allFigures(repeatedFixture()))).toEqual([]);
  });

  it("puts every figure of both versions in one row, with HTTP/2's median over HTTP/1.1's", () => {
    const table = versionTable(versionPairs(list));
    expect(table.head).toEqual(["transport", "figure", "HTTP/1.1", "HTTP/2", "HTTP/2 ÷ HTTP/1.1"]);
    const row = (transport: string, figure: string): string[] | undefined => {
      const start = table.rows.findIndex((cells) => cells[0]?.includes(transport));
      return table.rows.slice(start).find((cells) => cells[1] === figure);
    };
    // Polling's bytes up per message: 40 B × (0.9, 1, 1.2) on HTTP/1.1, half that on HTTP/2.
    expect(row("Polling", "bytes up / message")).toEqual(["Polling", "bytes up / message", "40 B (36–48)", "20 B (18–24)", "0.50×"]);
    expect(row("Polling", "HTTP requests / message")?.[4]).toBe("equal");
    // 40 B up per message over 0.1 requests per message: 400 B a request.
    expect(row("Polling", "bytes up / request")?.slice(2, 4)).toEqual(["400 B (360–480)", "200 B (180–240)"]);
    expect(row("SSE", "bytes up / request")?.slice(2, 5)).toEqual(["–", "–", "–"]);
    expect(row("WebSocket", "bytes up / message")?.[0]).toContain("HTTP/1.1+TLS");
  });

  it("says within noise only when the repeats' ranges overlap", () => {
    expect(versionRatio(spreadOf([10, 11, 12]), spreadOf([5, 6, 7]))).toBe("0.55×");
    expect(versionRatio(spreadOf([10, 11, 12]), spreadOf([11, 12, 13]))).toBe("1.09×, within noise");
    expect(versionRatio(spreadOf([10]), spreadOf([12]))).toBe("1.20×");
    expect(versionRatio(spreadOf([0, 0]), spreadOf([0, 0]))).toBe("equal");
    expect(versionRatio(null, spreadOf([1]))).toBe("–");
  });

  it("opens the report with the side-by-side section, and only for a run of both versions", () => {
    expect(hasVersions(r)).toBe(true);
    expect(sections(r, list)[0]?.id).toBe("http-versions");
    expect(sections(repeatedFixture(), allFigures(repeatedFixture())).some((s) => s.id === "http-versions")).toBe(false);
    const md = renderMarkdown(r);
    expect(md).toContain("## HTTP/1.1 and HTTP/2 side by side");
    expect(md).toContain("RFC 8441");
  });

  it("states what HTTP/2 changed for polling and how SSE over HTTP/2 compares with WebSocket", () => {
    const lines = insights(r);
    expect(lines.find((l) => l.startsWith("Polling on HTTP/2:"))).toMatch(/320 B .* against 640 B .* on HTTP\/1\.1, 0\.50×/);
    expect(lines.some((l) => l.startsWith("SSE over HTTP/2 against WebSocket (HTTP/1.1+TLS), bytes per delivered message"))).toBe(true);
  });

  it("warns when the server saw a phase's requests over another version or without TLS, and only then", () => {
    const counted = (run: TransportRun, versions: { "1.1": number; "2": number }, tls: number): TransportRun => ({
      ...run,
      phase: { ...run.phase, server: { ...run.phase.server, requests: versions["1.1"] + versions["2"], versions, tls } },
    });
    const runs = r.transports.map((run) =>
      run.wire?.version === "2" ? counted(run, { "1.1": 0, "2": 10 }, 10) : counted(run, { "1.1": 10, "2": 0 }, run.wire?.tls === true ? 10 : 0),
    );
    expect(wireProblems(allFigures({ ...r, transports: runs }))).toEqual([]);
    const fellBack = runs.map((run) => (run.transport === "sse" && run.wire?.phase === "2" ? counted(run, { "1.1": 4, "2": 6 }, 10) : run));
    expect(wireProblems(allFigures({ ...r, transports: fellBack }))).toEqual([
      "**⚠ SSE · HTTP/2: the server counted 4 requests over HTTP/1.1 in this phase: it did not measure only HTTP/2.**",
    ]);
    expect(wireProblems(list)).toEqual([]);
  });

  it("draws each transport's two versions side by side, only for a run of both", () => {
    const named = charts(r).filter((c) => c.name.startsWith("http-versions"));
    expect(named.map((c) => [c.name, c.png])).toEqual([
      ["http-versions-bytes", true],
      ["http-versions-cpu", true],
    ]);
    const bytes = named[0]?.config.data;
    expect(bytes?.datasets.map((d) => d.label)).toEqual(["HTTP/1.1", "HTTP/2"]);
    // Polling: 640 B per message on HTTP/1.1, half on HTTP/2.
    expect([bytes?.datasets[0]?.data[0], bytes?.datasets[1]?.data[0]]).toEqual([640, 320]);
    expect(charts(repeatedFixture()).some((c) => c.name.startsWith("http-versions"))).toBe(false);
  });
});
