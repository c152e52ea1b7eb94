import type { HttpVersion, Metered } from "./types.js";

/**
 * The per-client event feed (`GET /api/clients/:id/events`, a WebSocket): the server's own view of
 * one client's requests and connections, for the dashboard's network timeline. Times are the
 * server's clock in ms since the epoch; byte counts are the socket meter's (server/metering/).
 */

/** What a frame or write on a held connection carried, as far as its first bytes tell. */
export type FrameKind =
  | "message"
  | "heartbeat"
  | "reset"
  | "ack"
  | "error"
  | "ping"
  | "pong"
  | "close"
  | "send"
  | "retry"
  | "receipt"
  | "connected"
  | "open"
  | "data";

/** A request was routed (its head is parsed): the start of a row. */
export interface RequestStartEvent {
  type: "request";
  /** This request's number among the client's watched requests. */
  rid: number;
  t: number;
  transport: Metered;
  method: string;
  /** The path and query, cut to 200 characters. */
  url: string;
  version: HttpVersion;
  tls: boolean;
  upgrade: boolean;
  /** The first request of its TCP connection: a new connection was opened for it. */
  newConnection: boolean;
}

/** The response's head was written (for an upgrade: the 101): `t` minus the start is the wait. */
export interface ResponseEvent {
  type: "response";
  rid: number;
  t: number;
  status: number;
  /** The request's metered bytes up so far (its head, at least). */
  totalIn: number;
}

/** One write (or the writes of one event-loop turn) on a held connection, or frames read from it. */
export interface FrameEvent {
  type: "frame";
  rid: number;
  t: number;
  dir: "out" | "in";
  /** Every kind the bytes carried, the main one first. */
  kinds: FrameKind[];
  /** Messages in it (a catch-up page holds many). */
  messages: number;
  /** Metered bytes: framing, chunk headers and TLS records included. */
  bytes: number;
  /** The request's metered bytes so far, each way, this frame included. */
  totalIn: number;
  totalOut: number;
}

/** The request ended (its response was handed over in full, or its connection closed). */
export interface RequestEndEvent {
  type: "end";
  rid: number;
  t: number;
  status: number;
  bytesIn: number;
  bytesOut: number;
}

export type ClientEvent = RequestStartEvent | ResponseEvent | FrameEvent | RequestEndEvent;

/** The bounds the server applies, told to each watcher in its `hello`. */
export interface ClientEventBounds {
  /** Events kept per watched client (older ones are dropped). */
  ring: number;
  /** Clients watched at once; a watcher for one more is refused (503). */
  maxClients: number;
  /** Watchers of one client at once; one more is refused (429). */
  maxWatchersPerClient: number;
  /** Events are sent in batches at most this often. */
  batchMs: number;
}

/** Frames the server sends a watcher, each one WebSocket text frame of JSON. */
export type ClientEventFrame =
  | { type: "hello"; client: string; time: number; bounds: ClientEventBounds }
  | { type: "events"; events: ClientEvent[]; dropped: number };
