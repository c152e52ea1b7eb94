import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeProfile, formatBitRate, PROFILE_NAMES, PROFILES, ProfileError, profileTableLines, resolveProfile } from "../../scripts/net/profiles.js";

describe("profiles", () => {
  it("holds the issue's numbers, down being towards the client", () => {
    expect(PROFILES["3g"]).toMatchObject({ rttMs: 150, downBitsPerSecond: 1.6e6, upBitsPerSecond: 0.75e6 });
    expect(PROFILES.cable).toMatchObject({ rttMs: 20, downBitsPerSecond: 50e6, upBitsPerSecond: 10e6 });
    expect(PROFILES.loopback).toMatchObject({ rttMs: 0, downBitsPerSecond: null, upBitsPerSecond: null });
    expect(PROFILE_NAMES).toEqual(["loopback", "lan", "cable", "4g", "3g", "intercontinental"]);
  });

  it("survives JSON unchanged, unlimited included", () => {
    expect(JSON.parse(JSON.stringify(PROFILES))).toEqual(PROFILES);
  });

  it("lets custom numbers override a named profile, and checks them", () => {
    expect(resolveProfile("4g", { rttMs: 100 })).toEqual({ rttMs: 100, downBitsPerSecond: 12e6, upBitsPerSecond: 6e6 });
    expect(resolveProfile("3g", { downBitsPerSecond: null })).toEqual({ rttMs: 150, downBitsPerSecond: null, upBitsPerSecond: 0.75e6 });
    expect(() => resolveProfile("5g")).toThrow(/unknown profile "5g"; known profiles: loopback, lan, cable, 4g, 3g, intercontinental/);
    expect(() => resolveProfile("lan", { rttMs: -1 })).toThrow(ProfileError);
    expect(() => resolveProfile("lan", { upBitsPerSecond: 0 })).toThrow(/up bandwidth/);
  });

  it("writes rates and profiles for people", () => {
    expect(formatBitRate(1.6e6)).toBe("1.6 Mbit/s");
    expect(formatBitRate(750e3)).toBe("750 kbit/s");
    expect(formatBitRate(1e9)).toBe("1 Gbit/s");
    expect(formatBitRate(null)).toBe("unlimited");
    expect(describeProfile(PROFILES["3g"])).toBe("150 ms RTT, down 1.6 Mbit/s, up 750 kbit/s");
    const table = profileTableLines();
    expect(table).toHaveLength(PROFILE_NAMES.length + 1);
    expect(table.find((line) => line.startsWith("4g"))).toMatch(/^4g\s+60 ms\s+12 Mbit\/s\s+6 Mbit\/s\s+\S/);
  });

  it("is copied into the README's Network profiles table without a difference", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const name of PROFILE_NAMES) {
      const p = PROFILES[name];
      const row = `| \`${name}\` | ${p.rttMs} ms | ${formatBitRate(p.downBitsPerSecond)} | ${formatBitRate(p.upBitsPerSecond)} |`;
      expect(readme).toContain(row);
    }
  });
});
