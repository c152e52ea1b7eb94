import { failoverInsights, hasFailover } from "./failover.js";
import { describeProfile } from "../net/profiles.js";
import type { BenchResults } from "../bench/results.js";
import { bytes, ms, pct } from "./format.js";
import { baselineInsights } from "./baseline.js";
import { rank, ratioText, type Rated } from "./rank.js";
import { hasScale, scaleInsights } from "./scale.js";
import { withSpread } from "./spread.js";
import { allFigures, repeatCount, spreadAcross, verdict, type TransportFigures } from "./summary.js";
import { versionInsights } from "./versions.js";
import { stompComparisons, stompInsights } from "./stomp.js";

export function joinNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

type Pick = (f: TransportFigures) => number | null | undefined;

function rated(list: TransportFigures[], pick: Pick): Rated[] {
  return list.flatMap((f) => {
    const spread = spreadAcross(f, pick);
    return spread === null ? [] : [{ label: f.label, spread }];
  });
}

/**
 * One comparison as a sentence that claims only what the repeats support: two transports are
 * ranked only when their ranges do not overlap, a group within noise of the lowest (or highest) is
 * named as a group with no winner, ties are called ties, and the highest-over-lowest ratio is
 * always printed, ∞ against a zero included.
 */
export function comparison(what: string, items: Rated[], show: (value: number) => string): string | null {
  const ranking = rank(items);
  if (ranking === null) return null;
  const one = (r: Rated): string => `${r.label} ${withSpread(r.spread, show)}`;
  const group = (g: Rated[]): string => {
    if (g.length === 1) return one(g[0] as Rated);
    const first = g[0] as Rated;
    const same = g.every((r) => r.spread.min === first.spread.min && r.spread.max === first.spread.max);
    return same ? `${joinNames(g.map((r) => r.label))}, tied at ${withSpread(first.spread, show)}` : `${joinNames(g.map(one))}, within noise of each other`;
  };
  switch (ranking.kind) {
    case "tied":
      return `${what}: ${joinNames(ranking.all.map((r) => r.label))} tied at ${show(ranking.all[0]?.spread.median ?? 0)} (highest over lowest ${ratioText(ranking.ratio)}).`;
    case "noise":
      return `${what}: all within noise of each other, no ranking: ${joinNames(ranking.all.map(one))} (highest median over lowest ${ratioText(ranking.ratio)}).`;
    case "ranked": {
      const unranked = ranking.unranked.length > 0 ? `; ${joinNames(ranking.unranked.map(one))} within noise of both ends, not ranked` : "";
      return `${what}: lowest ${group(ranking.low)}; highest ${group(ranking.high)}, ${ratioText(ranking.ratio)} the lowest${unranked}.`;
    }
  }
}

/**
 * "What this run shows": sentences computed from the figures, so no claim in a report is written
 * by hand. Problems (loss, byte counts that disagree, a saturated generator) come first.
 */
export function insights(results: BenchResults): string[] {
  if (hasScale(results)) return scaleInsights(results);
  if (hasFailover(results)) return failoverInsights(results);
  const list = allFigures(results);
  const lines: string[] = [];
  for (const problem of verdict(results)) lines.push(`**✗ ${problem}.**`);
  lines.push(...baselineInsights(results));
  for (const f of list) {
    if (!f.agreement.ok) lines.push(`**⚠ ${f.label}: client and server byte counts disagree (up ${pct(f.agreement.up)}, down ${pct(f.agreement.down)}).**`);
    if (f.run.generator.saturated)
      lines.push(`**⚠ ${f.label}: the load generator was saturated (${f.run.generator.reasons.join("; ")}); its latency figures may measure the generator.**`);
  }
  lines.push(...versionInsights(list));
  if (repeatCount(results) <= 1) {
    lines.push("**⚠ One repeat per transport: no spread was measured, so the differences below may be noise (`--repeat 3` measures it).**");
  }
  const idle = results.config.rate === 0;
  const push = (line: string | null): void => {
    if (line !== null) lines.push(line);
  };
  const total = (b: { up: number; down: number } | null): number | null => (b === null ? null : b.up + b.down);
  push(
    comparison(
      "p99 latency",
      rated(
        list.filter((f) => f.latency.count > 0),
        (f) => f.latency.p99,
      ),
      ms,
    ),
  );
  if (results.network !== undefined)
    lines.push(`Network \`${results.network.name}\`: ${describeProfile(results.network.profile)}, between every subscriber and the server.`);
  push(
    comparison(
      "Time to first message from connect start (p50)",
      rated(list, (f) => f.firstMessage?.p50 ?? null),
      ms,
    ),
  );
  push(
    comparison(
      "Bytes per delivered message (both directions)",
      rated(list, (f) => total(f.bytesPerMessage)),
      bytes,
    ),
  );
  push(
    comparison(
      "HTTP requests per delivered message",
      rated(list, (f) => f.requestsPerMessage),
      (v) => v.toFixed(3),
    ),
  );
  push(
    comparison(
      idle ? "Bytes per idle client per second (both directions)" : "Bytes per connected client per second while messages flowed",
      rated(list, (f) => total(f.bytesPerClientSecond)),
      bytes,
    ),
  );
  if (idle) {
    const zeros = list.filter((f) => (spreadAcross(f, (o) => total(o.bytesPerClientSecond))?.min ?? 1) === 0).map((f) => f.label);
    if (zeros.length > 0 && results.idleWindow === undefined) {
      lines.push(
        `**⚠ ${joinNames(zeros)} measured 0 B while idle: a window shorter than the transport's periodic cost (heartbeat, long-poll timeout, ping) measures nothing of it.**`,
      );
    }
    push(
      comparison(
        "HTTP requests per idle client per second",
        rated(list, (f) => f.requestsPerClientSecond),
        (v) => v.toFixed(3),
      ),
    );
    push(
      comparison(
        `Server CPU keeping ${list[0]?.clients ?? 0} idle clients connected over the window`,
        rated(list, (f) => (f.run.server === null ? null : f.run.server.cpuUserMs + f.run.server.cpuSystemMs)),
        ms,
      ),
    );
  }
  push(
    comparison(
      "Server CPU per 1,000 deliveries",
      rated(list, (f) => f.serverCpuMsPer1000),
      ms,
    ),
  );
  const floors = list.flatMap((f) => {
    const s = spreadAcross(f, (one) => one.floorRatio);
    return s === null ? [] : [`${f.label} ${withSpread(s, (v) => `${v.toFixed(2)}×`)}`];
  });
  if (floors.length > 0) lines.push(`Measured bytes against the framing floor: ${floors.join(", ")}.`);
  if (!idle) lines.push(...stompInsights(stompComparisons(list)));
  return lines;
}
