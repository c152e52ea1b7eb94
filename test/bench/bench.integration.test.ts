import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRANSPORTS } from "../../protocol/types.js";
import type { BenchResults } from "../../scripts/bench/results.js";
import { allFigures } from "../../scripts/report/summary.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The bench CLI end to end, as a user runs it: its own server process, every transport, a few
 * clients for a few seconds. It checks what was measured is correct and complete, never how fast.
 */
describe("npm run bench (tiny run, every transport)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--scenario",
      "chat",
      "--clients",
      "3",
      "--rate",
      "10",
      "--duration",
      "2s",
      "--warmup",
      "500ms",
      "--poll-interval",
      "200",
      "--workers",
      "2",
      "--autocannon",
      "1s",
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

  it("exits 0 and measures all five transports", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.transports.map((t) => t.transport)).toEqual([...TRANSPORTS]);
  });

  it("runs each transport's phase twice, each against a server process of its own", () => {
    expect(results.target.freshPerPhase).toBe(true);
    for (const run of results.transports) {
      expect(run.repeats?.length, run.transport).toBe(2);
      expect(run.delivery.delivered, run.transport).toBe((run.repeats ?? []).reduce((n, r) => n + r.delivery.delivered, 0));
      for (const r of run.repeats ?? []) expect(r.server?.peakRssBytes, run.transport).toBeGreaterThan(0);
    }
    expect(results.autocannon.map((a) => a.repeats?.length)).toEqual([2, 2]);
  });

  it("delivers every expected message exactly once, in order", () => {
    for (const run of results.transports.flatMap((t) => t.repeats ?? [t])) {
      const d = run.delivery;
      expect(d.expected, run.transport).toBe(run.published.measured * 3);
      expect(d.expected, run.transport).toBeGreaterThan(0);
      expect(d.delivered, run.transport).toBe(d.expected);
      expect([d.lost, d.duplicated, d.outOfOrder, d.protocolErrors, run.published.errors], run.transport).toEqual([0, 0, 0, 0, 0]);
      expect(run.latency.summary.count, run.transport).toBe(d.delivered);
    }
  });

  it("counts requests, connections and bytes, and both ends agree within 1%", () => {
    for (const f of allFigures(results)) {
      const phase = f.run.phase;
      expect(phase.client.requests, f.transport).toBeGreaterThanOrEqual(3);
      expect(phase.client.connections, f.transport).toBeGreaterThanOrEqual(3);
      expect(phase.client.bytes.up, f.transport).toBeGreaterThan(0);
      expect(phase.client.bytes.down, f.transport).toBeGreaterThan(0);
      expect(f.agreement.up, f.transport).toBeLessThanOrEqual(0.01);
      expect(f.agreement.down, f.transport).toBeLessThanOrEqual(0.01);
      expect(f.publishAgreement.ok, f.transport).toBe(true);
      // A poll aborted at the very end may never reach the server: at most one per client.
      expect(Math.abs(phase.server.requests - phase.client.requests), f.transport).toBeLessThanOrEqual(3);
      // The framing model is a floor, but for one chunk header (at most 8 bytes here) per message:
      // it assumes one chunk per message, and a server may coalesce messages into one chunk.
      const measured = (f.bytesPerMessage?.up ?? 0) + (f.bytesPerMessage?.down ?? 0);
      const floor = (f.floorPerMessage?.up ?? 0) + (f.floorPerMessage?.down ?? 0);
      expect(measured, f.transport).toBeGreaterThanOrEqual(floor - 8);
      expect(f.bytesPerMessage?.down ?? 0, f.transport).toBeGreaterThan(f.run.messageJsonBytes);
    }
  });

  it("records server cost and generator load", () => {
    for (const run of results.transports) {
      expect(run.server?.cpuUserMs, run.transport).toBeGreaterThan(0);
      expect(run.server?.peakRssBytes, run.transport).toBeGreaterThan(0);
      expect(run.generator.threads.length, run.transport).toBe(6);
    }
    expect(results.autocannon.map((a) => a.requests > 0)).toEqual([true, true]);
    expect(results.machine.cores).toBeGreaterThan(0);
  });

  it("writes the report files", async () => {
    for (const name of ["report.md", "report.html", "latency.png"]) {
      const info = await stat(join(out, name));
      expect(info.size, name).toBeGreaterThan(0);
    }
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## What this run shows");
  });
});
