import type { BenchResults } from "../bench/results.js";
import { bytes, ms, pct, times } from "./format.js";
import { allFigures, verdict, type TransportFigures } from "./summary.js";

/** The lowest and highest by `value`, among figures that have one. */
function extremes(list: TransportFigures[], value: (f: TransportFigures) => number | null): { best: TransportFigures; bestValue: number; worst: TransportFigures; worstValue: number } | null {
  const rated = list.flatMap((f) => {
    const v = value(f);
    return v === null || !Number.isFinite(v) ? [] : [{ f, v }];
  });
  if (rated.length < 2) return null;
  rated.sort((a, b) => a.v - b.v);
  const first = rated[0];
  const last = rated[rated.length - 1];
  if (first === undefined || last === undefined) return null;
  return { best: first.f, bestValue: first.v, worst: last.f, worstValue: last.v };
}

function joinNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

const ratio = (worst: number, best: number): string => (best > 0 ? `${times(worst / best)} ` : "");

/**
 * "What this run shows": sentences computed from the figures, so no claim in a report is written
 * by hand. Problems (loss, byte counts that disagree, a saturated generator) come first.
 */
export function insights(results: BenchResults): string[] {
  const list = allFigures(results);
  const lines: string[] = [];
  for (const problem of verdict(results)) lines.push(`**✗ ${problem}.**`);
  for (const f of list) {
    if (!f.agreement.ok) lines.push(`**⚠ ${f.label}: client and server byte counts disagree (up ${pct(f.agreement.up)}, down ${pct(f.agreement.down)}).**`);
    if (f.run.generator.saturated) lines.push(`**⚠ ${f.label}: the load generator was saturated (${f.run.generator.reasons.join("; ")}); its latency figures may measure the generator.**`);
  }
  const p99 = extremes(list.filter((f) => f.latency.count > 0), (f) => f.latency.p99);
  if (p99 !== null) {
    lines.push(`${p99.best.label} was fastest at p99 (${ms(p99.bestValue)}); ${p99.worst.label} was slowest (${ms(p99.worstValue)}, ${ratio(p99.worstValue, p99.bestValue)}as long).`);
  }
  const perMessage = extremes(list, (f) => (f.bytesPerMessage === null ? null : f.bytesPerMessage.up + f.bytesPerMessage.down));
  if (perMessage !== null) {
    lines.push(`${perMessage.best.label} was cheapest per delivered message (${bytes(perMessage.bestValue)} on the wire, both directions); ${perMessage.worst.label} cost the most (${bytes(perMessage.worstValue)}, ${ratio(perMessage.worstValue, perMessage.bestValue)}as much).`);
  }
  const requests = extremes(list, (f) => f.requestsPerMessage);
  if (requests !== null) {
    const fewest = list.filter((f) => f.requestsPerMessage === requests.bestValue).map((f) => f.label);
    lines.push(`${requests.worst.label} made the most HTTP requests per delivered message (${requests.worstValue.toFixed(3)}); ${joinNames(fewest)} the fewest (${requests.bestValue.toFixed(3)}).`);
  }
  const idle = extremes(list, (f) => f.bytesPerClientSecond.up + f.bytesPerClientSecond.down);
  if (idle !== null) {
    const when = results.config.rate === 0 ? "when idle" : "per connected client while messages flowed";
    lines.push(`${idle.best.label} was cheapest ${when} (${bytes(idle.bestValue)} per client per second); ${idle.worst.label} cost ${bytes(idle.worstValue)} (${ratio(idle.worstValue, idle.bestValue)}as much).`);
  }
  if (results.config.rate === 0) {
    const asking = list.filter((f) => f.requestsPerClientSecond > 0).map((f) => `${f.label} ${f.requestsPerClientSecond.toFixed(3)}`);
    const silent = list.filter((f) => f.requestsPerClientSecond === 0).map((f) => f.label);
    if (asking.length > 0) lines.push(`While idle, HTTP requests per client per second: ${asking.join(", ")}${silent.length > 0 ? `; ${joinNames(silent)} made none` : ""}.`);
    const idleCpu = extremes(list, (f) => (f.run.server === null ? null : f.run.server.cpuUserMs + f.run.server.cpuSystemMs));
    if (idleCpu !== null) {
      lines.push(`Keeping ${list[0]?.clients ?? 0} idle clients connected cost the server least CPU on ${idleCpu.best.label} (${ms(idleCpu.bestValue)} over the window) and most on ${idleCpu.worst.label} (${ms(idleCpu.worstValue)}).`);
    }
  }
  const cpu = extremes(list, (f) => f.serverCpuMsPer1000);
  if (cpu !== null) {
    lines.push(`The server spent least CPU per 1,000 deliveries on ${cpu.best.label} (${ms(cpu.bestValue)}) and most on ${cpu.worst.label} (${ms(cpu.worstValue)}).`);
  }
  const floors = list.filter((f) => f.floorRatio !== null);
  if (floors.length > 0) {
    const parts = floors.map((f) => `${f.label} ${times(f.floorRatio ?? 0)}`);
    lines.push(`Measured bytes against the framing floor: ${parts.join(", ")}.`);
  }
  return lines;
}
