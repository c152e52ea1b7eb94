import type { BenchResults } from "../bench/results.js";
import { describeIdleWindow } from "../bench/idle-window.js";
import { describeProfile } from "../net/profiles.js";
import { describeFailover, failoverNotes, hasFailover } from "./failover.js";
import { describeScale, hasScale, scaleNotes } from "./scale.js";
import { repeatCount } from "./summary.js";

/** How a run was made, in words: its workload and conditions (the report's head, the runs index, the dashboard's cards) and the notes under it. */

export function describeWorkload(r: BenchResults): string {
  if (r.scale !== undefined) return describeScale(r);
  if (hasFailover(r)) return describeFailover(r);
  const c = r.config;
  const rate = c.rate === 0 ? "no messages" : c.burstSize > 1 ? `${c.rate} msg/s in bursts of ${c.burstSize}` : `${c.rate} msg/s`;
  const repeats = repeatCount(r);
  // The conditions a run chose: its link, its clients' request headers, its compression.
  const conditions = [
    ...(r.network !== undefined ? [`through \`${r.network.name}\` (${describeProfile(r.network.profile)})`] : []),
    ...(r.headers?.set === "browser" ? ["browser request headers"] : []),
    ...(c.compress !== undefined ? [`uncompressed and ${c.compress} / permessage-deflate`] : []),
  ];
  return `${c.clients} clients per transport, ${rate}, ${c.size} characters of text, ${c.durationMs / 1000} s measured after ${c.warmupMs / 1000} s warm-up${repeats > 1 ? `, ${repeats} repeats` : ""}; short polling every ${c.pollIntervalMs} ms, long polls of ${c.longPollTimeoutMs} ms${conditions.length > 0 ? `; ${conditions.join(", ")}` : ""}`;
}

/** The run's conditions in a sentence each: the link its subscribers crossed and the request headers they sent. */
export function conditionNotes(r: BenchResults): string[] {
  const notes: string[] = [];
  if (r.network !== undefined) {
    notes.push(
      `Network: \`${r.network.name}\` (${describeProfile(r.network.profile)}): every subscriber connection crossed an emulated link (scripts/net/, in a process of its own, one link per connection, a fresh one per phase); publishing and the bench's stats requests went direct, so latency is the one-way trip down.`,
    );
  }
  if (r.headers !== undefined) {
    notes.push(
      r.headers.set === "browser"
        ? `Request headers: a browser's (${r.headers.browser ?? "Chromium"}, captured on the socket for the dashboard's fetch, EventSource and WebSocket requests: scripts/bench/fixtures/chromium-headers.json).`
        : "Request headers: minimal (what undici and ws send by themselves).",
    );
  }
  return notes;
}

/** How the run was made, in sentences for the report's head: repeats, server processes, the idle window. */
export function runNotes(r: BenchResults): string[] {
  if (hasScale(r)) return scaleNotes(r);
  if (hasFailover(r)) return failoverNotes(r);
  const repeats = repeatCount(r);
  const notes: string[] = [];
  notes.push(
    repeats > 1
      ? `Every figure is the median of ${repeats} repeats of each transport's phase, with the range they spanned in brackets (min–max); the repeats went round the transports in turn.`
      : "One repeat per transport: the figures carry no spread.",
  );
  if (r.target.spawned) {
    notes.push(
      r.target.freshPerPhase === true
        ? "Each phase ran against a fresh server process."
        : "All phases ran against one server process (made before each phase got its own).",
    );
  }
  notes.push(...conditionNotes(r));
  if (r.idleWindow !== undefined) notes.push(describeIdleWindow(r.idleWindow));
  const load = r.machine.loadAverage;
  if (load !== undefined)
    notes.push(
      `Load average (1 min) ${load.start.toFixed(2)} at the start and ${load.end.toFixed(2)} at the end, on ${r.machine.cores} cores: other work on the machine widens the ranges.`,
    );
  return notes;
}
