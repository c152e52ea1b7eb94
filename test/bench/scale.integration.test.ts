import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import type { ScaleResults } from "../../scripts/bench/scale/results.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * `npm run bench -- --scenario scale` end to end on a tiny ramp: one transport, steps of 20 and 40
 * subscribers over two threads, 1 s periods so the idle window is 2 s. It checks that every figure
 * the report needs was measured and that delivery was exact, never how fast anything was.
 */
describe("npm run bench -- --scenario scale (tiny ramp)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults & { scale: ScaleResults };

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-scale-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--scenario",
      "scale",
      "--transports",
      "sse",
      "--steps",
      "20,40",
      "--workers",
      "2",
      "--duration",
      "2s",
      "--warmup",
      "1s",
      "--server-env",
      "LAB_HEARTBEAT_MS=1000",
      "--out",
      out,
    ];
    await new Promise<void>((resolve) => {
      const child = execFile(process.execPath, args, { cwd: ROOT, timeout: 90_000 }, (_error, _stdout, err) => {
        stderr = err;
        resolve();
      });
      child.on("exit", (code) => {
        exitCode = code;
      });
    });
    results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as BenchResults & { scale: ScaleResults };
  }, 100_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("exits 0 and ramps the transport through both steps with two threads", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.config.scenario).toBe("scale");
    expect(results.scale.plan.steps).toEqual([20, 40]);
    expect(results.scale.plan.workers).toBe(2);
    expect(results.scale.plan.idleWindowMs).toBe(2_000);
    expect(results.scale.transports.map((t) => t.transport)).toEqual(["sse"]);
    expect(results.scale.transports[0]?.steps.map((s) => s.clients)).toEqual([20, 40]);
    expect(results.scale.transports[0]?.stopped).toBeNull();
  });

  it("connects every subscriber, as the server counts them too", () => {
    const steps = results.scale.transports[0]?.steps ?? [];
    expect(steps.map((s) => [s.connect.added, s.connect.connected, s.connect.serverOpen, s.connect.errors, s.connect.refused])).toEqual([
      [20, 20, 20, 0, 0],
      [20, 40, 40, 0, 0],
    ]);
  });

  it("delivers every message of each latency window exactly once, in order", () => {
    for (const s of results.scale.transports[0]?.steps ?? []) {
      const l = s.latency;
      expect(l.published, String(s.clients)).toBe(2);
      expect(l.expected, String(s.clients)).toBe(2 * s.clients);
      expect([l.delivered, l.lost, l.duplicated, l.outOfOrder, l.publishErrors], String(s.clients)).toEqual([l.expected, 0, 0, 0, 0]);
      expect(l.latency.count, String(s.clients)).toBe(l.expected);
    }
  });

  it("measures memory, idle CPU, the generator and the empty server for the per-connection figures", () => {
    const run = results.scale.transports[0];
    expect(run?.baseline.memory.rssBytes).toBeGreaterThan(0);
    expect(run?.baseline.wallMs).toBeGreaterThanOrEqual(3_000);
    for (const s of run?.steps ?? []) {
      expect(s.memory.rssBytes).toBeGreaterThan(0);
      expect(s.memory.heapUsedBytes).toBeGreaterThan(0);
      expect(s.idle.wallMs).toBeGreaterThanOrEqual(2_000);
      expect(s.idle.server.cpuMs).toBeGreaterThan(0);
      // Heartbeats every second to every subscriber: the idle window sees them.
      expect(s.idle.server.bytesOut).toBeGreaterThan(0);
      expect(s.latency.server.cpuMs).toBeGreaterThan(0);
      expect(s.latency.generator.threads.map((t) => t.name)).toEqual(["publisher (main thread)", "subscribers-1", "subscribers-2"]);
    }
    expect(results.scale.limits.fdNeeded).toBe(296);
  });

  it("writes the scale report", async () => {
    for (const name of ["report.md", "report.html", "scale-p99.png", "scale-rss.png"]) {
      const info = await stat(join(out, name));
      expect(info.size, name).toBeGreaterThan(0);
    }
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## Where each transport breaks");
    expect(md).toMatch(/\n\| SSE \| /);
  });
});
