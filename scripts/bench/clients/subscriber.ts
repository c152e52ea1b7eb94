import type { ChatMessage, ResetSignal, SockjsSubTransport, Transport } from "../../../protocol/types.js";
import type { Client } from "undici";
import type { SocketCounter } from "../measure/socket-counter.js";
import type { Wire } from "../wire.js";
import type { HttpCoding } from "../scenarios.js";
import { browserClientId, loadFixture, replayHeaders, type HeaderSet } from "../browser-headers.js";

/** Where a subscriber hands what it parsed; the worker's tally decides what counts. */
export interface SubscriberSink {
  message(message: ChatMessage): void;
  reset(signal: ResetSignal): void;
  error(error: unknown): void;
  reconnect(): void;
}

export interface SubscriberOptions {
  origin: string;
  /** Cursor to start after: the feed's last id when the phase began, so every later message is expected. */
  after: number;
  counter: SocketCounter;
  sink: SubscriberSink;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  /** What to speak; absent: plaintext HTTP/1.1. `origin` is then the server's TLS origin when `wire.tls`. */
  wire?: Wire;
  /** `--h2-shared`: the thread's one HTTP/2 connection, which the thread owns and closes; absent: a connection of the subscriber's own. */
  shared?: Client;
  /**
   * `browser`: the request heads a captured Chromium sends (its headers, and a dashboard-like
   * `client` id in the query); `minimal`: what undici and ws send by themselves. Default minimal.
   */
  headers?: HeaderSet;
  /** `--compress`: the coding to ask for when the header set has no Accept-Encoding of its own (minimal). */
  acceptEncoding?: HttpCoding;
  /** This subscriber's number in its phase: its browser-like client id. */
  index?: number;
  /** stomp-sockjs only: the one SockJS sub-transport sockjs-client may use (default websocket). */
  sockjs?: SockjsSubTransport;
  /** Loopback source address to connect from (the scale ramp spreads clients over several); the system's choice when absent. */
  localAddress?: string;
}

export interface Subscriber {
  /** Settles once the subscriber is connected (held transports) or has had its first answer (polling). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** A wait that `cancel` ends early, so stopping never leaves a timer behind. */
export class Sleeper {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.wake?.();
  }
}

/** A promise with its resolver, for `ready`. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Backoff after a failed request or a dropped connection, so an outage is not a busy loop. */
export const RETRY_MS = 250;

/**
 * What a subscriber adds to its requests for its header set: the query's `client` id and the
 * browser's headers (empty for `minimal`).
 */
export function requestShape(options: SubscriberOptions, transport: Transport): { client: string | undefined; headers: Record<string, string> } {
  if (options.headers !== "browser")
    return { client: undefined, headers: options.acceptEncoding === undefined || transport === "ws" ? {} : { "accept-encoding": options.acceptEncoding } };
  return { client: browserClientId(options.index ?? 0), headers: replayHeaders(loadFixture(), transport, new URL(options.origin).host) };
}
