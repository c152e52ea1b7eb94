import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import { allFigures } from "../../scripts/report/summary.js";
import { wireProblems } from "../../scripts/report/versions.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLIENTS = 2;

/**
 * `--http both` end to end, as a user runs it: its own server processes (the HTTP/2 phases with
 * their TLS listener), one client of each kind (undici polling, undici streaming, ws), a few
 * clients for a second. It checks what each phase spoke and that it was measured completely,
 * never how fast.
 */
describe("npm run bench -- --http both (tiny run)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-http-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--scenario",
      "chat",
      "--transports",
      "poll,sse,ws",
      "--http",
      "both",
      "--clients",
      String(CLIENTS),
      "--rate",
      "10",
      "--duration",
      "1s",
      "--warmup",
      "300ms",
      "--poll-interval",
      "200",
      "--autocannon",
      "0",
      "--repeat",
      "1",
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

  it("runs every transport on HTTP/1.1, then on HTTP/2, WebSocket's HTTP/2 phase over HTTP/1.1+TLS", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.config.http).toEqual(["1.1", "2"]);
    expect(results.transports.map((t) => [t.transport, t.wire?.phase, t.wire?.version, t.wire?.tls])).toEqual([
      ["poll", "1.1", "1.1", false],
      ["sse", "1.1", "1.1", false],
      ["ws", "1.1", "1.1", false],
      ["poll", "2", "2", true],
      ["sse", "2", "2", true],
      ["ws", "2", "1.1", true],
    ]);
  });

  it("delivers every expected message exactly once, in order, on both versions", () => {
    for (const run of results.transports) {
      const d = run.delivery;
      const name = `${run.transport} ${run.wire?.phase}`;
      expect(d.expected, name).toBeGreaterThan(0);
      expect(d.delivered, name).toBe(d.expected);
      expect([d.lost, d.duplicated, d.outOfOrder, d.protocolErrors, d.reconnects], name).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it("opens one connection per client on each version and counts bytes at the socket, above the bodies and the floor", () => {
    for (const f of allFigures(results)) {
      const phase = f.run.phase.client;
      expect(phase.connections, f.label).toBe(CLIENTS);
      const body = f.run.window.client.body ?? 0;
      expect(body, f.label).toBeGreaterThan(0);
      expect(f.run.window.client.bytes.down, f.label).toBeGreaterThan(body);
      const measured = (f.bytesPerMessage?.up ?? 0) + (f.bytesPerMessage?.down ?? 0);
      const floor = (f.floorPerMessage?.up ?? 0) + (f.floorPerMessage?.down ?? 0);
      expect(measured, f.label).toBeGreaterThanOrEqual(floor - 8);
    }
  });

  it("is seen by the server over the version and TLS each phase meant", () => {
    for (const run of results.transports) expect(run.phase.server.versions?.[run.wire?.version ?? "1.1"], run.transport).toBeGreaterThanOrEqual(CLIENTS);
    expect(wireProblems(allFigures(results))).toEqual([]);
  });

  it("agrees with the server's byte counts within 1% on both versions", () => {
    for (const f of allFigures(results)) {
      expect(f.agreement.up, f.label).toBeLessThanOrEqual(0.01);
      expect(f.agreement.down, f.label).toBeLessThanOrEqual(0.01);
    }
  });

  it("writes the side-by-side report", async () => {
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## HTTP/1.1 and HTTP/2 side by side");
    expect(md).toContain("| SSE | bytes up / message |");
    expect(md).toMatch(/Polling on HTTP\/2: .* per delivered message against .* on HTTP\/1\.1/);
  });
});
