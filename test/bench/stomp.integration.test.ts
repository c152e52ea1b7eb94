import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import { allFigures } from "../../scripts/report/summary.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The bench CLI with STOMP, as a user runs it: its own server process per phase, STOMP over a
 * WebSocket and over SockJS's xhr-streaming (@stomp/stompjs, sockjs-client), publishing by STOMP
 * SEND, a few clients for a few seconds. It checks what was measured is correct and complete,
 * never how fast.
 */
describe("npm run bench --transports stomp-ws,stomp-sockjs (tiny run)", () => {
  let out: string;
  let exitCode: number | null = null;
  let stderr = "";
  let results: BenchResults;
  let report: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "bench-stomp-"));
    const args = [
      "--import",
      "tsx",
      "scripts/bench/cli.ts",
      "--scenario",
      "chat",
      "--transports",
      "stomp-ws,stomp-sockjs",
      "--sockjs-transport",
      "xhr-streaming",
      "--publish-via",
      "stomp",
      "--clients",
      "3",
      "--rate",
      "10",
      "--duration",
      "2s",
      "--warmup",
      "500ms",
      "--workers",
      "2",
      "--autocannon",
      "0",
      "--repeat",
      "1",
      "--out",
      out,
    ];
    await new Promise<void>((resolve) => {
      const child = execFile(process.execPath, args, { cwd: ROOT, timeout: 120_000 }, (_error, _stdout, err) => {
        stderr = err;
        resolve();
      });
      child.on("exit", (code) => {
        exitCode = code;
      });
    });
    results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as BenchResults;
    report = await readFile(join(out, "report.md"), "utf8");
  }, 130_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("exits 0 and measures STOMP over WebSocket and over SockJS's xhr-streaming", () => {
    expect(exitCode, stderr).toBe(0);
    expect(results.transports.map((t) => [t.transport, t.sockjs])).toEqual([
      ["stomp-ws", undefined],
      ["stomp-sockjs", "xhr-streaming"],
    ]);
    expect(results.transports.map((t) => t.publishVia)).toEqual(["stomp", "stomp"]);
  });

  it("delivers every expected message exactly once, in order", () => {
    for (const run of results.transports) {
      const d = run.delivery;
      expect(d.expected, run.transport).toBe(run.published.measured * 3);
      expect(d.expected, run.transport).toBeGreaterThan(0);
      expect(d.delivered, run.transport).toBe(d.expected);
      expect([d.lost, d.duplicated, d.outOfOrder, d.protocolErrors, d.reconnects, run.published.errors], run.transport).toEqual([0, 0, 0, 0, 0, 0]);
      expect(run.latency.summary.count, run.transport).toBe(d.delivered);
    }
  });

  it("counts bytes on the client sockets, and the server's /api/stats agrees", () => {
    for (const f of allFigures(results)) {
      const phase = f.run.phase;
      expect(phase.client.connections, f.label).toBeGreaterThanOrEqual(3);
      expect(phase.client.requests, f.label).toBeGreaterThanOrEqual(3);
      expect(phase.client.bytes.up, f.label).toBeGreaterThan(0);
      expect(phase.client.bytes.down, f.label).toBeGreaterThan(f.run.delivery.delivered * f.run.messageJsonBytes);
      expect(f.agreement.up, f.label).toBeLessThanOrEqual(0.01);
      expect(f.agreement.down, f.label).toBeLessThanOrEqual(0.01);
      expect(f.publishAgreement.ok, f.label).toBe(true);
      expect(Math.abs(phase.server.requests - phase.client.requests), f.label).toBeLessThanOrEqual(3);
      // What the clients read beyond the STOMP frames is the carrier's: WebSocket frame headers, SockJS's quoting and HTTP chunks.
      expect(f.run.window.client.body ?? 0, f.label).toBeGreaterThan(0);
      expect(f.run.window.client.body ?? 0, f.label).toBeLessThan(f.run.window.client.bytes.down);
    }
    // The publisher's STOMP session is metered as stomp-ws: inside that phase's counts, beside the SockJS phase's.
    const [stompWs, sockjs] = results.transports;
    expect(stompWs?.phase.client.bytes.up, "publisher in the stomp-ws phase").toBeGreaterThan(stompWs?.publish.client.bytes.up ?? 0);
    expect(sockjs?.publish.server.bytes.up, "publisher beside the SockJS phase").toBe(sockjs?.publish.client.bytes.up);
  });

  it("measures each at or above its framing floor, and reports what STOMP and SockJS add", () => {
    for (const f of allFigures(results)) {
      const measured = (f.bytesPerMessage?.up ?? 0) + (f.bytesPerMessage?.down ?? 0);
      const floor = (f.floorPerMessage?.up ?? 0) + (f.floorPerMessage?.down ?? 0);
      expect(floor, f.label).toBeGreaterThan(0);
      // The floor's message is a 100-character text with chat-like keys: the measured one differs by its nonce (a few bytes).
      expect(measured, f.label).toBeGreaterThanOrEqual(floor - 8);
    }
    expect(report).toContain("## What STOMP and SockJS add per message");
    expect(report).toContain("STOMP over SockJS (xhr-streaming) against STOMP over WebSocket");
  });
});
