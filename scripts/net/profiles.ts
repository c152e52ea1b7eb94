/**
 * The link profiles: one table, read by the CLI's help, the README and (later) the bench report.
 * Bandwidths are bits per second; `null` means unlimited (kept JSON-safe for results.json, where
 * Infinity would turn into null without saying so).
 */

export interface LinkProfile {
  /** Round-trip time in milliseconds; each direction adds half of it. */
  rttMs: number;
  /** Proxy → client (what the server sends), bits per second. */
  downBitsPerSecond: number | null;
  /** Client → proxy (what the client sends), bits per second. */
  upBitsPerSecond: number | null;
}

export interface NamedProfile extends LinkProfile {
  /** What the numbers stand for, in a few words. */
  about: string;
}

export const PROFILES = {
  loopback: { rttMs: 0, downBitsPerSecond: null, upBitsPerSecond: null, about: "no emulation: bytes pass as they come" },
  lan: { rttMs: 1, downBitsPerSecond: 1e9, upBitsPerSecond: 1e9, about: "wired office network" },
  cable: { rttMs: 20, downBitsPerSecond: 50e6, upBitsPerSecond: 10e6, about: "home cable or DSL broadband" },
  "4g": { rttMs: 60, downBitsPerSecond: 12e6, upBitsPerSecond: 6e6, about: "typical mobile 4G/LTE" },
  "3g": { rttMs: 150, downBitsPerSecond: 1.6e6, upBitsPerSecond: 0.75e6, about: "slow mobile 3G" },
  intercontinental: { rttMs: 200, downBitsPerSecond: 100e6, upBitsPerSecond: 100e6, about: "fast line to another continent" },
} as const satisfies Record<string, NamedProfile>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}

/** An unknown profile name or impossible numbers. */
export class ProfileError extends Error {
  override name = "ProfileError";
}

export interface ProfileOverrides {
  rttMs?: number | undefined;
  downBitsPerSecond?: number | null | undefined;
  upBitsPerSecond?: number | null | undefined;
}

/** A named profile (or explicit numbers) with any of its numbers overridden, checked. */
export function resolveProfile(base: string | LinkProfile, overrides: ProfileOverrides = {}): LinkProfile {
  let start: LinkProfile;
  if (typeof base === "string") {
    if (!isProfileName(base)) throw new ProfileError(`unknown profile "${base}"; known profiles: ${PROFILE_NAMES.join(", ")}`);
    start = PROFILES[base];
  } else {
    start = base;
  }
  const profile: LinkProfile = {
    rttMs: overrides.rttMs ?? start.rttMs,
    downBitsPerSecond: overrides.downBitsPerSecond !== undefined ? overrides.downBitsPerSecond : start.downBitsPerSecond,
    upBitsPerSecond: overrides.upBitsPerSecond !== undefined ? overrides.upBitsPerSecond : start.upBitsPerSecond,
  };
  if (!Number.isFinite(profile.rttMs) || profile.rttMs < 0) throw new ProfileError(`RTT must be a number of milliseconds ≥ 0, not ${profile.rttMs}`);
  for (const [name, bps] of [
    ["down", profile.downBitsPerSecond],
    ["up", profile.upBitsPerSecond],
  ] as const) {
    if (bps !== null && !(Number.isFinite(bps) && bps > 0)) throw new ProfileError(`${name} bandwidth must be more than 0 bit/s (or unlimited), not ${bps}`);
  }
  return { rttMs: profile.rttMs, downBitsPerSecond: profile.downBitsPerSecond, upBitsPerSecond: profile.upBitsPerSecond };
}

/** "1.6 Mbit/s", "750 kbit/s", "unlimited". */
export function formatBitRate(bitsPerSecond: number | null): string {
  if (bitsPerSecond === null) return "unlimited";
  const units: [number, string][] = [
    [1e9, "Gbit/s"],
    [1e6, "Mbit/s"],
    [1e3, "kbit/s"],
  ];
  for (const [scale, unit] of units) {
    if (bitsPerSecond >= scale) return `${trimNumber(bitsPerSecond / scale)} ${unit}`;
  }
  return `${trimNumber(bitsPerSecond)} bit/s`;
}

/** "150 ms RTT, down 1.6 Mbit/s, up 750 kbit/s". */
export function describeProfile(profile: LinkProfile): string {
  return `${trimNumber(profile.rttMs)} ms RTT, down ${formatBitRate(profile.downBitsPerSecond)}, up ${formatBitRate(profile.upBitsPerSecond)}`;
}

/** The table as aligned text lines, for --help. */
export function profileTableLines(): string[] {
  const rows = PROFILE_NAMES.map((name) => {
    const p: NamedProfile = PROFILES[name];
    return [name, `${p.rttMs} ms`, formatBitRate(p.downBitsPerSecond), formatBitRate(p.upBitsPerSecond), p.about];
  });
  const header = ["profile", "RTT", "down", "up", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [header, ...rows].map((cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

function trimNumber(value: number): string {
  return String(Number(value.toFixed(3)));
}
