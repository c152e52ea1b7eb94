import { mergeRepeats } from "../../scripts/bench/merge.js";
import type { BenchResults, TransportRun } from "../../scripts/bench/results.js";
import { fixture, scaled } from "./fixture.js";

/**
 * The fixed chat fixture with STOMP beside SSE and WebSocket, three repeats each (0.9, 1 and 1.2
 * times each figure), every delivery made: per delivered message WebSocket 200 B, SSE 200 B, STOMP
 * over WebSocket 340 B, STOMP over SockJS (xhr-streaming) 380 B; server CPU per 1,000 deliveries
 * 100, 150, 150 and 200 ms.
 */
export function stompFixture(): BenchResults {
  const base = fixture();
  const find = (t: string): TransportRun => {
    const run = base.transports.find((r) => r.transport === t);
    if (run === undefined) throw new Error(`fixture has no ${t}`);
    return run;
  };
  const ws = find("ws");
  const clean: TransportRun = {
    ...ws,
    delivery: { ...ws.delivery, delivered: 1000, lost: 0 },
    latency: { ...ws.latency, summary: { ...ws.latency.summary, count: 1000 } },
  };
  const like = (run: TransportRun, down: number, cpuMs: number, extra: Partial<TransportRun>): TransportRun => ({
    ...run,
    ...extra,
    window: { ...run.window, client: { ...run.window.client, bytes: { up: 0, down } }, server: { ...run.window.server, bytes: { up: 0, down } } },
    server: run.server === null ? null : { ...run.server, cpuUserMs: cpuMs, cpuSystemMs: 0 },
  });
  const runs = [
    like(find("sse"), 200_000, 150, {}),
    like(clean, 200_000, 100, {}),
    like(clean, 340_000, 150, { transport: "stomp-ws" }),
    like(clean, 380_000, 200, { transport: "stomp-sockjs", sockjs: "xhr-streaming" }),
  ];
  return {
    ...base,
    config: { ...base.config, repeat: 3, transports: ["sse", "ws", "stomp-ws", "stomp-sockjs"], sockjsTransports: ["xhr-streaming"] },
    target: { ...base.target, freshPerPhase: true },
    transports: runs.map((run) => mergeRepeats([0.9, 1, 1.2].map((factor) => scaled(run, factor)))),
  };
}
