import { parseArgs } from "node:util";
import { AddressError, assertLoopbackTarget, parseHostPort, type HostPort } from "./address.js";
import { PROFILE_NAMES, ProfileError, profileTableLines, resolveProfile, type LinkProfile } from "./profiles.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface NetCliOptions {
  help: boolean;
  target: HostPort;
  listen: HostPort;
  /** The profile's name, "custom", or "<name> with …" when numbers were overridden. */
  label: string;
  profile: LinkProfile;
}

export const DEFAULT_TARGET = "127.0.0.1:3000";
export const DEFAULT_LISTEN = "127.0.0.1:3100";

export const HELP = `Usage: npm run net -- --profile NAME [--target HOST:PORT] [--listen HOST:PORT]
       npm run net -- --rtt TIME --down RATE --up RATE [...]

A link emulator: a TCP proxy on --listen that forwards every connection to --target (this machine
only) through an emulated link. Each direction is delayed by half the RTT and paced to its
bandwidth; the TCP handshake is charged on the first bytes (the first answer comes 2 RTT after
connect start). Each connection gets a link of its own, as if each were a separate user.

Options:
  --profile NAME     one of the profiles below
  --rtt TIME         round-trip time: 100, 100ms, 0.1s (overrides the profile's)
  --down RATE        bandwidth towards the client, bits per second: 1.6M, 750k, 1G, 8000000,
                     or unlimited (overrides the profile's)
  --up RATE          bandwidth from the client, as --down
  --target HOST:PORT the server to reach, 127.0.0.0/8 or [::1] only (default ${DEFAULT_TARGET})
  --listen HOST:PORT where the emulator listens (default ${DEFAULT_LISTEN})
  --help             this text

Profiles:
${profileTableLines()
  .map((line) => `  ${line}`)
  .join("\n")}

Example: npm start, then npm run net -- --profile 3g, and open http://127.0.0.1:3100
`;

/** Reads the command line; throws UsageError with a message naming the option at fault. */
export function parseCli(argv: string[]): NetCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: "string" },
        rtt: { type: "string" },
        down: { type: "string" },
        up: { type: "string" },
        target: { type: "string" },
        listen: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const help = values.help === true;
  const overrides = {
    rttMs: values.rtt === undefined ? undefined : parseRtt(values.rtt),
    downBitsPerSecond: values.down === undefined ? undefined : parseBitRate(values.down, "--down"),
    upBitsPerSecond: values.up === undefined ? undefined : parseBitRate(values.up, "--up"),
  };
  const custom = Object.values(overrides).some((v) => v !== undefined);
  if (values.profile === undefined && !custom && !help) {
    throw new UsageError(`nothing to emulate: give --profile (${PROFILE_NAMES.join(", ")}) or --rtt/--down/--up`);
  }
  try {
    const profile = resolveProfile(values.profile ?? "loopback", overrides);
    const target = parseHostPort(values.target ?? DEFAULT_TARGET, "--target");
    assertLoopbackTarget(target);
    const listen = parseHostPort(values.listen ?? DEFAULT_LISTEN, "--listen");
    const label = values.profile === undefined ? "custom" : custom ? `${values.profile} with overrides` : values.profile;
    return { help, target, listen, label, profile };
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(values.profile !== undefined ? `--profile: ${error.message}` : error.message);
    if (error instanceof AddressError) throw new UsageError(error.message);
    throw error;
  }
}

/** "100", "100ms", "0.1s" → milliseconds. */
export function parseRtt(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(text.trim());
  if (match === null) throw new UsageError(`--rtt: "${text}" is not a time (e.g. 100, 100ms, 0.1s)`);
  const value = Number(match[1]);
  return match[2]?.toLowerCase() === "s" ? value * 1000 : value;
}

const RATE_SCALE: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9 };

/** "1.6M", "750k", "1G", "8mbit/s", "8000000" → bits per second; "unlimited" → null. */
export function parseBitRate(text: string, option: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "unlimited") return null;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:bit(?:\/s|ps)?|bps)?$/.exec(trimmed);
  if (match === null) throw new UsageError(`${option}: "${text}" is not a bandwidth in bits per second (e.g. 1.6M, 750k, 1G, unlimited)`);
  const bitsPerSecond = Number(match[1]) * (RATE_SCALE[match[2] ?? ""] ?? 1);
  if (bitsPerSecond <= 0) throw new UsageError(`${option}: a bandwidth must be more than 0 (or unlimited)`);
  return bitsPerSecond;
}
