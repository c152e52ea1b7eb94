import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * File-descriptor limits. Node has no setrlimit, so the bench raises its soft limit the way a shell
 * does: it starts itself again under `ulimit -n`, once. The server it spawns inherits the limit.
 */

export interface FdLimits {
  soft: number | null;
  hard: number | null;
}

/** The "Max open files" line of /proc/<pid>/limits; nulls where it is missing ("unlimited" is Infinity). */
export function parseFdLimits(text: string): FdLimits {
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const match = line === undefined ? null : /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
  if (match === null) return { soft: null, hard: null };
  const value = (s: string | undefined): number | null => (s === "unlimited" ? Infinity : s !== undefined && /^[0-9]+$/.test(s) ? Number(s) : null);
  return { soft: value(match[1]), hard: value(match[2]) };
}

export function readFdLimits(): FdLimits {
  try {
    return parseFdLimits(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return { soft: null, hard: null };
  }
}

export type FdCheck =
  | { kind: "ok" }
  | { kind: "unknown"; message: string }
  | { kind: "raise"; to: number; message: string }
  | { kind: "refuse"; message: string };

/** Whether `needed` descriptors fit; if only the soft limit is in the way, raise it to the hard one. */
export function checkFdLimit(limits: FdLimits, needed: number, clients: number): FdCheck {
  const { soft, hard } = limits;
  if (soft === null || hard === null) {
    return {
      kind: "unknown",
      message: `cannot read the file-descriptor limit here; ${clients.toLocaleString("en-US")} connections need ${needed.toLocaleString("en-US")} per process (check \`ulimit -n\`)`,
    };
  }
  if (soft >= needed) return { kind: "ok" };
  if (hard >= needed) {
    const to = Number.isFinite(hard) ? hard : needed;
    return {
      kind: "raise",
      to,
      message: `raising the soft file-descriptor limit from ${soft} to ${to} (the hard limit) for ${clients.toLocaleString("en-US")} connections`,
    };
  }
  return {
    kind: "refuse",
    message:
      `${clients.toLocaleString("en-US")} connections need ${needed.toLocaleString("en-US")} file descriptors in each process (the generator holds one end of every connection, the server the other), ` +
      `but the hard limit is ${hard} (soft ${soft}). Raise the hard limit (as root: \`ulimit -Hn ${needed}\` in the shell that starts the bench, ` +
      `\`nofile\` in /etc/security/limits.conf, \`LimitNOFILE=\` for a systemd unit, \`--ulimit nofile=${needed}:${needed}\` for docker), or ask for fewer clients (--clients, --steps).`,
  };
}

const MARK = "LAB_BENCH_FD_RAISED";

/**
 * Runs this very command again under `ulimit -n to` and returns its exit code; null when this process
 * is already that second run (it never relaunches twice).
 */
export function relaunchWithFdLimit(to: number): number | null {
  if (process.env[MARK] === "1") return null;
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync("/bin/sh", ["-c", `ulimit -n ${to} && exec "$@"`, "sh", ...argv], { stdio: "inherit", env: { ...process.env, [MARK]: "1" } });
  return result.status ?? 1;
}

/**
 * Before a scale run: continue (null), or the exit code to end with, after relaunching this command
 * under a raised soft limit or refusing with what to raise.
 */
export function ensureFdLimit(clients: number, needed: number, log: (line: string) => void): number | null {
  const check = checkFdLimit(readFdLimits(), needed, clients);
  switch (check.kind) {
    case "ok":
      return null;
    case "unknown":
      log(`bench: ${check.message}`);
      return null;
    case "raise": {
      log(`bench: ${check.message}`);
      const code = relaunchWithFdLimit(check.to);
      if (code !== null) return code;
      log("bench: the soft file-descriptor limit is still too low after raising it; run `ulimit -n` with a larger value before the bench");
      return 2;
    }
    case "refuse":
      log(`bench: ${check.message}`);
      return 2;
  }
}
