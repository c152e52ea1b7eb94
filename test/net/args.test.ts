import { describe, expect, it } from "vitest";
import { HELP, parseBitRate, parseCli, parseRtt, UsageError } from "../../scripts/net/args.js";
import { PROFILE_NAMES } from "../../scripts/net/profiles.js";
import { formatStatus } from "../../scripts/net/status-line.js";

describe("net options", () => {
  it("takes a profile, with the default target and listen addresses", () => {
    const o = parseCli(["--profile", "3g"]);
    expect(o.profile).toEqual({ rttMs: 150, downBitsPerSecond: 1.6e6, upBitsPerSecond: 0.75e6 });
    expect(o.target).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(o.listen).toEqual({ host: "127.0.0.1", port: 3100 });
    expect(o.label).toBe("3g");
  });

  it("takes custom numbers, alone or over a profile", () => {
    expect(parseCli(["--rtt", "80ms", "--down", "10M", "--up", "2M"]).profile).toEqual({ rttMs: 80, downBitsPerSecond: 10e6, upBitsPerSecond: 2e6 });
    const o = parseCli(["--profile", "4g", "--rtt", "0.1s", "--target", "[::1]:8080"]);
    expect(o.profile.rttMs).toBe(100);
    expect(o.label).toBe("4g with overrides");
    expect(o.target).toEqual({ host: "::1", port: 8080 });
  });

  it("reads rates and times with units", () => {
    expect(parseBitRate("1.6M", "--down")).toBe(1.6e6);
    expect(parseBitRate("750k", "--down")).toBe(750e3);
    expect(parseBitRate("1Gbit/s", "--down")).toBe(1e9);
    expect(parseBitRate("8mbps", "--down")).toBe(8e6);
    expect(parseBitRate("8000000", "--down")).toBe(8e6);
    expect(parseBitRate("unlimited", "--down")).toBeNull();
    expect(parseRtt("150")).toBe(150);
    expect(parseRtt("0.2s")).toBe(200);
  });

  it("refuses what it cannot honour, naming the option and what would do", () => {
    expect(() => parseCli(["--profile", "5g"])).toThrow(`--profile: unknown profile "5g"; known profiles: ${PROFILE_NAMES.join(", ")}`);
    expect(() => parseCli(["--profile", "3g", "--target", "10.0.0.1:80"])).toThrow(/not on this machine/);
    expect(() => parseCli(["--down", "fast"])).toThrow(/--down: "fast" is not a bandwidth/);
    expect(() => parseCli(["--up", "0"])).toThrow(/--up: a bandwidth must be more than 0/);
    expect(() => parseCli(["--rtt", "soon"])).toThrow(/--rtt/);
    expect(() => parseCli([])).toThrow(/nothing to emulate/);
    expect(() => parseCli(["--bogus"])).toThrow(UsageError);
  });

  it("prints every profile's numbers in its help", () => {
    expect(parseCli(["--help"]).help).toBe(true);
    for (const name of PROFILE_NAMES) expect(HELP).toMatch(new RegExp(`^  ${name}\\s`, "m"));
    expect(HELP).toMatch(/3g\s+150 ms\s+1\.6 Mbit\/s\s+750 kbit\/s/);
  });
});

describe("status line", () => {
  const idle = { bytesIn: 0, bytesOut: 0, peakQueuedBytes: 0, queuedBytes: 0, pausedSenders: 0 };
  it("counts connections and bytes each way, with the rate since the previous line", () => {
    const before = { connectionsOpen: 0, connectionsTotal: 0, up: idle, down: idle };
    const now = {
      connectionsOpen: 2,
      connectionsTotal: 5,
      up: { ...idle, bytesOut: 3_400 },
      down: { ...idle, bytesOut: 1_200_000, queuedBytes: 96_000, pausedSenders: 1 },
    };
    expect(formatStatus(now, before, 2_000)).toBe("2 open (5 total) · down 1.20 MB, 4.8 Mbit/s, 96.0 kB queued, 1 sender paused · up 3.4 kB, 13.6 kbit/s");
    expect(formatStatus(before, before, 2_000)).toBe("0 open (0 total) · down 0 B, idle · up 0 B, idle");
  });
});
