import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../../scripts/bench/args.js";
import { checkIdleWindow, describeIdleWindow, periodicCosts } from "../../scripts/bench/idle-window.js";
import { defaultConfig } from "../../scripts/bench/scenarios.js";
import { DEFAULTS } from "../../server/config.js";

describe("an idle window and the server's periodic costs", () => {
  it("reads the periods from the server's settings and the bench's own options, for the transports run", () => {
    const costs = periodicCosts(DEFAULTS, defaultConfig("idle"));
    expect(costs.map((c) => [c.what, c.periodMs, c.source])).toEqual([
      ["short poll", 1_000, "--poll-interval"],
      ["long-poll answer on timeout", 25_000, "--long-poll-timeout"],
      ["heartbeat", 15_000, "LAB_HEARTBEAT_MS"],
      ["WebSocket ping", 30_000, "LAB_WS_PING_MS"],
    ]);
    expect(periodicCosts(DEFAULTS, { ...defaultConfig("idle"), transports: ["sse"] }).map((c) => c.what)).toEqual(["heartbeat"]);
    // A long poll asking for more than the server allows is answered at the server's clamp.
    const clamped = periodicCosts({ ...DEFAULTS, longPollMaxMs: 10_000 }, defaultConfig("idle")).find((c) => c.transports.includes("long-poll"));
    expect([clamped?.periodMs, clamped?.source]).toEqual([10_000, "LAB_LONG_POLL_MAX_MS"]);
  });

  it("accepts a window as long as the longest period", () => {
    expect(checkIdleWindow(30_000, periodicCosts(DEFAULTS, defaultConfig("idle")), true).kind).toBe("ok");
  });

  it("refuses a shorter window the user asked for, naming the period and the way out", () => {
    const check = checkIdleWindow(5_000, periodicCosts(DEFAULTS, defaultConfig("idle")), true);
    expect(check.kind).toBe("refused");
    if (check.kind !== "refused") return;
    expect(check.message).toContain(
      "--duration 5 s is shorter than the longest periodic cost of an idle connection, the WebSocket ping every 30 s (LAB_WS_PING_MS)",
    );
    expect(check.message).toContain("heartbeat every 15 s (LAB_HEARTBEAT_MS)");
    expect(check.message).toContain("Use --duration 30s or more");
  });

  it("lengthens a preset window instead, and says why", () => {
    const check = checkIdleWindow(20_000, periodicCosts({ ...DEFAULTS, wsPingMs: 45_000 }, defaultConfig("idle")), false);
    expect(check.kind).toBe("extended");
    if (check.kind !== "extended") return;
    expect(check.window.durationMs).toBe(45_000);
    expect(check.message).toBe(
      "idle window lengthened from 20 s to 45 s: it must cover the longest periodic cost, the WebSocket ping every 45 s (LAB_WS_PING_MS); " +
        "also short poll every 1 s (--poll-interval), long-poll answer on timeout every 25 s (--long-poll-timeout), heartbeat every 15 s (LAB_HEARTBEAT_MS).",
    );
    expect(describeIdleWindow(check.window)).toMatch(/^The idle window was lengthened from 20 s to 45 s/);
  });
});

describe("bench options for an idle run", () => {
  it("refuses --duration 5s with the server's default periods", () => {
    expect(() => parseCli(["--scenario", "idle", "--duration", "5s"], new Date(), {})).toThrow(UsageError);
    expect(() => parseCli(["--scenario", "idle", "--duration", "5s"], new Date(), {})).toThrow(/WebSocket ping every 30 s/);
  });

  it("reads the periods as the spawned server will: its environment and --server-env", () => {
    const short = [
      "--scenario",
      "idle",
      "--duration",
      "5s",
      "--long-poll-timeout",
      "5000",
      "--server-env",
      "LAB_WS_PING_MS=5000",
      "--server-env",
      "LAB_HEARTBEAT_MS=4000",
    ];
    expect(parseCli(short, new Date(), {}).config.durationMs).toBe(5_000);
    expect(() => parseCli(short, new Date(), { LAB_HEARTBEAT_MS: "9000" })).not.toThrow();
    expect(() => parseCli(short.slice(0, -2), new Date(), { LAB_HEARTBEAT_MS: "9000" })).toThrow(/heartbeat every 9 s/);
  });

  it("lengthens the preset when the server's periods are longer, with a notice", () => {
    const o = parseCli(["--scenario", "idle"], new Date(), { LAB_WS_PING_MS: "40000" });
    expect(o.config.durationMs).toBe(40_000);
    expect(o.notices).toEqual([expect.stringMatching(/^idle window lengthened from 30 s to 40 s/)]);
    expect(o.idleWindow?.extended).toBe(true);
  });

  it("checks nothing when messages flow", () => {
    const o = parseCli(["--scenario", "chat", "--duration", "2s"], new Date(), {});
    expect([o.idleWindow, o.notices]).toEqual([undefined, []]);
  });

  it("reports a bad server setting as a usage error", () => {
    expect(() => parseCli(["--scenario", "idle", "--server-env", "LAB_WS_PING_MS=soon"], new Date(), {})).toThrow(/--server-env: LAB_WS_PING_MS/);
  });
});
