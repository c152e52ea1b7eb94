import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli } from "../../scripts/bench/args.js";
import type { BenchResults } from "../../scripts/bench/results.js";
import type { ScaleResults, ScaleTransportRun } from "../../scripts/bench/scale/results.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("--scenario scale --baseline options", () => {
  it("is accepted: the ramp with minimal requests, as both servers' clients send", () => {
    const options = parseCli(["--scenario", "scale", "--baseline", "--transports", "sse", "--steps", "200,400"]);
    expect([options.config.scenario, options.config.baseline, options.config.headers, options.config.steps]).toEqual(["scale", true, "minimal", [200, 400]]);
  });
});

/**
 * `npm run bench -- --scenario scale --baseline` end to end on a tiny ramp: SSE at 20 and 40
 * subscribers against the lab's server, then against the bare one. It checks that both sides
 * ramped with exact delivery and that the report compares them, never how fast either was.
 */
describe("npm run bench -- --scenario scale --baseline (tiny ramp)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults & { scale: ScaleResults };

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-scale-baseline-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--scenario",
      "scale",
      "--baseline",
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
      const child = execFile(process.execPath, args, { cwd: ROOT, timeout: 170_000 }, (_error, _stdout, err) => {
        stderr = err;
        resolve();
      });
      child.on("exit", (code) => {
        exitCode = code;
      });
    });
    results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as BenchResults & { scale: ScaleResults };
  }, 180_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  const sides = (): [string, ScaleTransportRun | undefined][] => [
    ["lab", results.scale.transports[0]],
    ["bare", results.scale.bare?.[0]],
  ];

  it("exits 0 and ramps SSE through both steps on the lab's server and on the bare one", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.config.baseline).toBe(true);
    expect(results.scale.transports.map((t) => t.transport)).toEqual(["sse"]);
    expect(results.scale.bare?.map((t) => t.transport)).toEqual(["sse"]);
    for (const [side, run] of sides()) {
      expect(
        run?.steps.map((s) => s.clients),
        side,
      ).toEqual([20, 40]);
      expect(run?.stopped, side).toBeNull();
    }
  });

  it("connects every subscriber on both sides, as each server's open gauge counts them", () => {
    for (const [side, run] of sides()) {
      expect(
        run?.steps.map((s) => [s.connect.connected, s.connect.serverOpen, s.connect.errors, s.connect.refused]),
        side,
      ).toEqual([
        [20, 20, 0, 0],
        [40, 40, 0, 0],
      ]);
    }
  });

  it("delivers every message exactly once, in order, on both sides", () => {
    for (const [side, run] of sides()) {
      for (const s of run?.steps ?? []) {
        const l = s.latency;
        expect(l.expected, `${side} ${s.clients}`).toBe(2 * s.clients);
        expect([l.delivered, l.lost, l.duplicated, l.outOfOrder, l.publishErrors], `${side} ${s.clients}`).toEqual([l.expected, 0, 0, 0, 0]);
      }
    }
  });

  it("reads the bare server's memory after a collection and its CPU, as the lab's", () => {
    const bare = results.scale.bare?.[0];
    expect(bare?.baseline.memory.heapUsedBytes).toBeGreaterThan(0);
    for (const s of bare?.steps ?? []) {
      expect([s.memory.rssBytes, s.memory.heapUsedBytes, s.memory.externalBytes].every((v) => v > 0)).toBe(true);
      expect(s.latency.server.cpuMs).toBeGreaterThan(0);
    }
  });

  it("writes the report with the comparison and a finding for SSE", async () => {
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## Against a bare server");
    expect(md).toMatch(/\n\| SSE \| 20 \| [^\n]+ms \/ [^\n]+ms \|/);
    expect(md).toMatch(/\n\| SSE \| 40 \| /);
    expect(md).toContain("## The bare server's ramp, every step");
    expect(md).toContain("- SSE at 40 against the bare server (lab / bare, single samples): p99 ");
  });
});
