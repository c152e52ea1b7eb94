import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../../../scripts/bench/args.js";
import type { BenchResults } from "../../../scripts/bench/results.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("--baseline options", () => {
  it("marks the run's config, so the runs index compares it only with other baseline runs", () => {
    expect(parseCli(["--scenario", "fanout", "--baseline"]).config.baseline).toBe(true);
    expect(parseCli(["--scenario", "fanout"]).config.baseline).toBeUndefined();
  });

  it("refuses --url: both servers must be processes the bench starts", () => {
    expect(() => parseCli(["--baseline", "--url", "http://127.0.0.1:3000"])).toThrow(/--baseline .* cannot target --url/);
  });
});

/**
 * `npm run bench -- --baseline` end to end, tiny: SSE and polling, two rounds. It checks the
 * alternation and what the report makes of it, never how fast either server was.
 */
describe("npm run bench -- --baseline (tiny run)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-baseline-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--baseline",
      "--scenario",
      "chat",
      "--transports",
      "poll,sse",
      "--clients",
      "3",
      "--rate",
      "10",
      "--duration",
      "1s",
      "--warmup",
      "300ms",
      "--poll-interval",
      "200",
      "--workers",
      "1",
      "--autocannon",
      "500ms",
      "--repeat",
      "2",
      "--out",
      out,
    ];
    await new Promise<void>((resolve) => {
      const child = execFile(process.execPath, args, { cwd: ROOT, timeout: 150_000 }, (_error, _stdout, err) => {
        stderr = err;
        resolve();
      });
      child.on("exit", (code) => {
        exitCode = code;
      });
    });
    results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as BenchResults;
  }, 160_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("exits 0 with the lab server's fixed-rate phases as the run's transports", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.config.baseline).toBe(true);
    expect(results.transports.map((t) => [t.transport, t.repeats?.length])).toEqual([
      ["poll", 2],
      ["sse", 2],
    ]);
  });

  it("alternates lab and bare in every round of every measurement", () => {
    const kinds = (transport: string): string[] =>
      (results.baseline?.transports.find((t) => t.transport === transport)?.samples ?? []).map((s) => `${s.kind} ${s.side} ${s.round}`);
    expect(kinds("poll")).toEqual([
      "fixed-rate project 1",
      "fixed-rate bare 1",
      "fixed-rate project 2",
      "fixed-rate bare 2",
      "request-rate project 1",
      "request-rate bare 1",
      "request-rate project 2",
      "request-rate bare 2",
    ]);
    expect(kinds("sse")).toEqual([
      "fixed-rate project 1",
      "fixed-rate bare 1",
      "fixed-rate project 2",
      "fixed-rate bare 2",
      "max-rate project 1",
      "max-rate bare 1",
      "max-rate project 2",
      "max-rate bare 2",
    ]);
  });

  it("delivers every message exactly once on both servers, at the fixed and the maximum rate", () => {
    for (const t of results.baseline?.transports ?? []) {
      for (const s of t.samples) {
        const d = s.fixedRate ?? s.maxRate;
        if (d === undefined) continue;
        expect(d.expected, `${t.transport} ${s.kind} ${s.side}`).toBeGreaterThan(0);
        expect([d.delivered, d.lost, d.duplicated, d.outOfOrder], `${t.transport} ${s.kind} ${s.side}`).toEqual([d.expected, 0, 0, 0]);
      }
    }
  });

  it("measures both servers' CPU, and the requests autocannon made", () => {
    for (const t of results.baseline?.transports ?? []) {
      for (const s of t.samples) {
        const cpu = s.fixedRate?.serverCpuMs ?? s.maxRate?.serverCpuMs ?? s.requestRate?.serverCpuMs;
        expect(cpu, `${t.transport} ${s.kind} ${s.side}`).toBeGreaterThan(0);
        if (s.requestRate !== undefined) expect(s.requestRate.requests).toBeGreaterThan(0);
      }
    }
  });

  it("reports each targeted ratio with its target and verdict", async () => {
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## Against a bare server");
    expect(md).toMatch(/\| Polling \| requests\/s under autocannon \| .* \| ≥ 0\.85× \| (met|\*\*.*\*\*) \|/);
    expect(md).toMatch(/\| SSE \| deliveries\/s at the maximum rate \| .* \| ≥ 0\.90× \|/);
    // CPU per delivery is judged at the fixed rate both sides ran at; the maximum-rate figure is shown, not judged.
    expect(md).toMatch(/\| SSE \| server CPU per 1,000 deliveries \(fixed rate\) \| .* \| ≤ 1\.10× \| (met|\*\*.*\*\*) \|/);
    expect(md).toMatch(/\| SSE \| server CPU per 1,000 deliveries \(maximum rate, not judged\) \| .* \| – \| – \|/);
    expect(md).toContain("## Maximum-rate samples");
  });
});
