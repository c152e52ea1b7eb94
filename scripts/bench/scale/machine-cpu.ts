import { readFileSync } from "node:fs";
import type { MachineCpu } from "./results.js";

/** The whole machine's CPU time from /proc/stat (Linux): what the server, the generator and anything else used. */

export interface CpuTicks {
  busy: number;
  total: number;
}

/** The aggregate "cpu" line: user nice system idle iowait irq softirq steal; idle and iowait are not busy. */
export function parseProcStat(text: string): CpuTicks | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export function readCpuTicks(): CpuTicks | null {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
}

/**
 * Busy CPU time between two readings, in ms of one core, over `wallMs`. Ticks are shares of all
 * cores' time, so busy/total × cores × wall is the busy time.
 */
export function machineCpu(before: CpuTicks | null, after: CpuTicks | null, cores: number, wallMs: number): MachineCpu | null {
  if (before === null || after === null) return null;
  const total = after.total - before.total;
  if (total <= 0) return null;
  return { busyMs: ((after.busy - before.busy) / total) * cores * wallMs, wallMs };
}
