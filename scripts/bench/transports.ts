import {
  SOCKJS_SUB_TRANSPORTS,
  STOMP_LABELS,
  STOMP_TRANSPORTS,
  type SockjsSubTransport,
  type StompTransport,
  TRANSPORT_LABELS,
  TRANSPORTS,
  type Transport,
} from "../../protocol/types.js";

/**
 * What the bench can measure: the five transports and STOMP's two. A list of the bench's own rather
 * than a longer `TRANSPORTS`: the server keys routes, compression counts and subscribe paths on the
 * five, and the dashboard its switcher, and STOMP's two are reached differently (a STOMP session
 * over /api/stomp or SockJS's /chat), so they join only where the bench and its report need them.
 */
export const BENCH_TRANSPORTS = [...TRANSPORTS, ...STOMP_TRANSPORTS] as const;
export type BenchTransport = Transport | StompTransport;

export const BENCH_LABELS: Record<BenchTransport, string> = { ...TRANSPORT_LABELS, ...STOMP_LABELS };

export function isStomp(transport: BenchTransport): transport is StompTransport {
  return (STOMP_TRANSPORTS as readonly string[]).includes(transport);
}

/** One of the five (not STOMP): what the scale ramp, the baselines and the browser header fixture know. */
export function isPlainTransport(transport: BenchTransport): transport is Transport {
  return !isStomp(transport);
}

/** The SockJS sub-transports the bench can restrict sockjs-client to: every one `/chat` serves. */
export const SOCKJS_CHOICES: readonly SockjsSubTransport[] = SOCKJS_SUB_TRANSPORTS;
export type { SockjsSubTransport };

/** The SockJS sub-transport a stomp-sockjs phase uses when none is asked for: the one sockjs-client picks first where WebSocket works. */
export const DEFAULT_SOCKJS: SockjsSubTransport = "websocket";

/** "STOMP over SockJS (xhr-streaming)": the transport, and SockJS's sub-transport when it has one. */
export function benchLabel(transport: BenchTransport, sockjs?: SockjsSubTransport): string {
  return BENCH_LABELS[transport] + (transport === "stomp-sockjs" && sockjs !== undefined ? ` (${sockjs})` : "");
}
