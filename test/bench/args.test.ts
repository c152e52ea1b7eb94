import { describe, expect, it } from "vitest";
import { parseCli, parseDuration, UsageError } from "../../scripts/bench/args.js";
import { messageCount, scheduledOffsetMs, serverEnvFor, SCENARIOS, workerCount } from "../../scripts/bench/scenarios.js";
import { splitClients } from "../../scripts/bench/worker-pool.js";

describe("bench options", () => {
  it("reads durations with units, bare numbers in the option's unit", () => {
    expect(parseDuration("20s", "s", "--duration")).toBe(20_000);
    expect(parseDuration("500ms", "s", "--duration")).toBe(500);
    expect(parseDuration("1.5m", "s", "--duration")).toBe(90_000);
    expect(parseDuration("20", "s", "--duration")).toBe(20_000);
    expect(parseDuration("250", "ms", "--poll-interval")).toBe(250);
    expect(() => parseDuration("soon", "s", "--duration")).toThrow(UsageError);
  });

  it("starts from the scenario preset and lets each option override it", () => {
    const o = parseCli(["--scenario", "fanout", "--clients", "20", "--transports", "ws,poll", "--duration", "5s"], new Date("2026-01-02T03:04:05Z"));
    expect(o.config.scenario).toBe("fanout");
    expect(o.config.clients).toBe(20);
    expect(o.config.rate).toBe(SCENARIOS.fanout.workload.rate);
    expect(o.config.transports).toEqual(["poll", "ws"]);
    expect(o.config.durationMs).toBe(5_000);
    expect(o.out).toBe("results/2026-01-02T030405-fanout");
  });

  it("refuses what it cannot honour, with the option's name", () => {
    expect(() => parseCli(["--scenario", "storm"])).toThrow(/--scenario: unknown scenario "storm"/);
    expect(() => parseCli(["--transports", "carrier-pigeon"])).toThrow(/unknown transport/);
    expect(() => parseCli(["--clients", "many"])).toThrow(/--clients/);
    expect(() => parseCli(["--bogus"])).toThrow(UsageError);
  });

  it("targets loopback only, unless --allow-remote", () => {
    expect(parseCli(["--url", "http://127.0.0.1:3000"]).url).toBe("http://127.0.0.1:3000");
    expect(() => parseCli(["--url", "http://example.org"])).toThrow(/--allow-remote/);
    expect(parseCli(["--url", "http://example.org", "--allow-remote"]).allowRemote).toBe(true);
  });

  it("repeats each phase 3 times unless --repeat says otherwise", () => {
    expect(parseCli([]).config.repeat).toBe(3);
    expect(parseCli(["--repeat", "5"]).config.repeat).toBe(5);
    expect(() => parseCli(["--repeat", "0"])).toThrow(/--repeat: must be at least 1/);
  });

  it("collects --server-env pairs", () => {
    expect(parseCli(["--server-env", "LAB_HEARTBEAT_MS=1000", "--server-env", "A=b=c"]).serverEnv).toEqual({ LAB_HEARTBEAT_MS: "1000", A: "b=c" });
  });
});

describe("workload schedule", () => {
  it("spaces a steady stream evenly and a burst at one instant", () => {
    expect(messageCount({ rate: 10, burstSize: 1 }, 20_000)).toBe(200);
    expect([0, 1, 2].map((i) => scheduledOffsetMs({ rate: 10, burstSize: 1 }, i))).toEqual([0, 100, 200]);
    expect([0, 49, 50].map((i) => scheduledOffsetMs({ rate: 20, burstSize: 50 }, i))).toEqual([0, 0, 2500]);
    expect(messageCount({ rate: 0, burstSize: 1 }, 30_000)).toBe(0);
  });

  it("spreads clients over threads evenly, one thread per 250 clients at most one per core", () => {
    expect(workerCount({ workers: 0, clients: 100 }, 2)).toBe(1);
    expect(workerCount({ workers: 0, clients: 1000 }, 2)).toBe(2);
    expect(workerCount({ workers: 3, clients: 2 }, 2)).toBe(2);
    expect(splitClients(10, 3)).toEqual([4, 3, 3]);
  });

  it("lifts the child server's per-IP limits and sizes its body limit for big messages", () => {
    const env = serverEnvFor(SCENARIOS.large.workload);
    expect(Number(env.LAB_MAX_TEXT_LENGTH)).toBe(32_768);
    expect(Number(env.LAB_BODY_LIMIT)).toBeGreaterThan(32_768);
    expect(Number(serverEnvFor(SCENARIOS.chat.workload).LAB_MAX_HELD_PER_IP)).toBeGreaterThan(1000);
  });
});

describe("publishing channel", () => {
  it("publishes over HTTP unless --publish-via ws is asked for", () => {
    expect(parseCli([]).config.publishVia).toBe("http");
    expect(parseCli(["--publish-via", "ws"]).config.publishVia).toBe("ws");
    expect(() => parseCli(["--publish-via", "smoke"])).toThrow(/--publish-via/);
  });
});
