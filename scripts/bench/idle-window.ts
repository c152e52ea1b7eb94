import type { BenchTransport } from "./transports.js";
import type { LabConfig } from "../../server/config.js";
import type { BenchConfig } from "./scenarios.js";

/**
 * An idle connection costs nothing between its periodic events (a heartbeat, a long poll's timeout,
 * a ping), so an idle window shorter than the longest period can measure 0 for a transport that is
 * not free: a four-way tie at 0 that says nothing. A window at least one period long holds at least
 * one of each event per connection, whatever the phase of its timer.
 */

/** The heart-beat @stomp/stompjs asks for in both directions by default (the bench's STOMP clients keep it). */
export const STOMPJS_HEARTBEAT_MS = 10_000;

/** Something an idle connection does every `periodMs`. */
export interface PeriodicCost {
  what: string;
  transports: BenchTransport[];
  periodMs: number;
  /** The setting it comes from: a server variable or a bench option. */
  source: string;
}

/** What an idle run's window had to cover, recorded in results.json. */
export interface IdleWindow {
  /** The window asked for (by --duration or the scenario). */
  requestedMs: number;
  /** The window measured. */
  durationMs: number;
  costs: PeriodicCost[];
  extended: boolean;
}

export type IdleWindowCheck =
  | { kind: "ok"; window: IdleWindow }
  | { kind: "extended"; window: IdleWindow; message: string }
  | { kind: "refused"; message: string };

/** The periodic costs of the transports in this run, from the server's settings and the bench's own options. */
export function periodicCosts(
  server: Pick<LabConfig, "heartbeatMs" | "wsPingMs" | "longPollMaxMs">,
  workload: Pick<BenchConfig, "transports" | "pollIntervalMs" | "longPollTimeoutMs">,
): PeriodicCost[] {
  const clamped = workload.longPollTimeoutMs > server.longPollMaxMs;
  const all: PeriodicCost[] = [
    { what: "short poll", transports: ["poll"], periodMs: workload.pollIntervalMs, source: "--poll-interval" },
    {
      what: "long-poll answer on timeout",
      transports: ["long-poll"],
      periodMs: clamped ? server.longPollMaxMs : workload.longPollTimeoutMs,
      source: clamped ? "LAB_LONG_POLL_MAX_MS" : "--long-poll-timeout",
    },
    { what: "heartbeat", transports: ["stream", "sse"], periodMs: server.heartbeatMs, source: "LAB_HEARTBEAT_MS" },
    { what: "WebSocket ping", transports: ["ws", "stomp-ws"], periodMs: server.wsPingMs, source: "LAB_WS_PING_MS" },
    // Each direction beats at the larger of the two sides' values: stompjs asks for 10 s, the server for its heartbeat.
    {
      what: "STOMP heart-beat",
      transports: ["stomp-ws", "stomp-sockjs"],
      periodMs: Math.max(STOMPJS_HEARTBEAT_MS, server.heartbeatMs),
      source: "LAB_HEARTBEAT_MS, at least stompjs's 10 s",
    },
    { what: "SockJS heartbeat frame", transports: ["stomp-sockjs"], periodMs: server.heartbeatMs, source: "LAB_HEARTBEAT_MS" },
  ];
  return all.map((c) => ({ ...c, transports: c.transports.filter((t) => workload.transports.includes(t)) })).filter((c) => c.transports.length > 0);
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;
const describe = (c: PeriodicCost): string => `${c.what} every ${seconds(c.periodMs)} (${c.source})`;

/**
 * An idle window (rate 0) must span the longest periodic cost. One the user asked for with
 * --duration is refused, never silently changed; a scenario's preset is lengthened, with the reason.
 */
export function checkIdleWindow(durationMs: number, costs: PeriodicCost[], explicit: boolean): IdleWindowCheck {
  const longest = costs.reduce<PeriodicCost | null>((a, c) => (a === null || c.periodMs > a.periodMs ? c : a), null);
  const window: IdleWindow = { requestedMs: durationMs, durationMs, costs, extended: false };
  if (longest === null || durationMs >= longest.periodMs) return { kind: "ok", window };
  const others = costs.filter((c) => c !== longest).map(describe);
  const also = others.length > 0 ? `; also ${others.join(", ")}` : "";
  if (explicit) {
    return {
      kind: "refused",
      message:
        `--duration ${seconds(durationMs)} is shorter than the longest periodic cost of an idle connection, the ${describe(longest)}${also}: ` +
        `such a window can measure 0 for a transport that is not free. Use --duration ${Math.ceil(longest.periodMs / 1000)}s or more, ` +
        `or shorten the periods (e.g. --server-env LAB_WS_PING_MS=5000 --server-env LAB_HEARTBEAT_MS=5000 --long-poll-timeout 5000).`,
    };
  }
  return {
    kind: "extended",
    window: { ...window, durationMs: longest.periodMs, extended: true },
    message: `idle window lengthened from ${seconds(durationMs)} to ${seconds(longest.periodMs)}: it must cover the longest periodic cost, the ${describe(longest)}${also}.`,
  };
}

/** One sentence for the report: what the window covered. */
export function describeIdleWindow(w: IdleWindow): string {
  const covered = w.costs.map(describe).join(", ");
  return w.extended
    ? `The idle window was lengthened from ${seconds(w.requestedMs)} to ${seconds(w.durationMs)} to cover the longest periodic cost (${covered}).`
    : `The ${seconds(w.durationMs)} idle window covers at least one of each periodic cost per connection (${covered}).`;
}
