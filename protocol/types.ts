/**
 * The wire protocol shared by the server, the browser dashboard, the benchmark clients and the tests.
 * One copy: a change to a frame's shape is made here and the type checker finds every reader.
 */

/** The five ways a subscriber can learn of new messages, in the order the lab presents them. */
export const TRANSPORTS = ["poll", "long-poll", "stream", "sse", "ws"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/**
 * STOMP 1.2 frames over the same feed (server/stomp/): over a plain WebSocket (`/api/stomp`) and over
 * SockJS (`/chat`), each metered on its own.
 */
export const STOMP_TRANSPORTS = ["stomp-ws", "stomp-sockjs"] as const;
export type StompTransport = (typeof STOMP_TRANSPORTS)[number];

export const STOMP_LABELS: Record<StompTransport, string> = {
  "stomp-ws": "STOMP over WebSocket",
  "stomp-sockjs": "STOMP over SockJS",
};

/** Metering keys: the five subscribe transports, HTTP publishing (`POST /api/messages`), then STOMP's two. */
export const METERED = [...TRANSPORTS, "publish", ...STOMP_TRANSPORTS] as const;
export type Metered = (typeof METERED)[number];

/** One of the five transports (not publishing, not STOMP). */
export function isTransport(key: Metered): key is Transport {
  return (TRANSPORTS as readonly Metered[]).includes(key);
}

export const TRANSPORT_LABELS: Record<Transport, string> = {
  poll: "Polling",
  "long-poll": "Long polling",
  stream: "HTTP streaming",
  sse: "SSE",
  ws: "WebSocket",
};

/** A stored chat message. `id` strictly increases; `time` is the server's receive time (ms since epoch). */
export interface ChatMessage {
  id: number;
  from: string;
  text: string;
  time: number;
  /** Echo of the publisher's optional nonce, so a publisher can recognise its own message. */
  nonce?: string;
}

/**
 * The cursor could not be honoured: it is older than the retained history (`expired`) or newer than
 * anything this server has published (`unknown`, typically a cursor from before a server restart).
 * The server then continues as if no cursor had been given (recent history, then live), starting
 * after `cursor`.
 */
export interface ResetSignal {
  type: "reset";
  reason: "expired" | "unknown";
  /** The cursor the subscriber asked for. */
  requested: number;
  /** The server continues with the messages after this id. */
  cursor: number;
  /** The newest id the server has. */
  lastId: number;
}

export interface HeartbeatSignal {
  type: "heartbeat";
  time: number;
}

/** Answer to a WebSocket `send`: the publish was stored as message `id`. */
export interface AckSignal {
  type: "ack";
  id: number;
  nonce?: string;
}

/** A refused WebSocket frame (bad JSON, bad fields, unknown type, rate limit); the connection stays open. */
export interface ErrorSignal {
  type: "error";
  error: string;
  message: string;
  nonce?: string;
}

export type ControlSignal = ResetSignal | HeartbeatSignal | AckSignal | ErrorSignal;

/** One NDJSON line or one WebSocket text frame from the server: a message, or a control signal. */
export type ServerFrame = ChatMessage | ControlSignal;

export function isControl(frame: ServerFrame): frame is ControlSignal {
  return "type" in frame;
}

/** Body of `POST /api/messages`. */
export interface PublishRequest {
  from: string;
  text: string;
  nonce?: string;
}

/** A WebSocket client frame that publishes. */
export interface SendFrame extends PublishRequest {
  type: "send";
}

/** Answer of `GET /api/poll` and `GET /api/long-poll`. */
export interface PollResponse {
  messages: ChatMessage[];
  /** Pass as `after` in the next request. */
  cursor: number;
  /** True when more messages after `cursor` are already waiting (the page limit was hit). */
  more: boolean;
  /** Present when the requested cursor could not be honoured. */
  reset?: ResetSignal;
}

/** Every 4xx/5xx body. */
export interface ApiError {
  error: string;
  message: string;
}

/** Per-transport counters as `GET /api/stats` reports them. Bytes are measured on the TCP socket. */
export interface TransportCounters {
  /** Requests or connections in progress now (held long polls, streams, SSE, WebSockets). */
  open: number;
  /** TCP connections whose first request was for this transport. */
  connections: number;
  /** HTTP requests (a WebSocket counts its upgrade request). */
  requests: number;
  /** Messages written to subscribers. */
  delivered: number;
  /** Bytes read from the socket: request lines, headers, bodies, WebSocket frames. */
  bytesIn: number;
  /** Bytes written to the socket: status lines, headers, chunk framing, bodies, WebSocket frames. */
  bytesOut: number;
  /** Held connections the client closed or lost. */
  disconnects: number;
  /** Subscribers cut off by the server for not reading (slow consumers). */
  cutoffs: number;
  /** Requests or upgrades refused by a connection limit or a rate limit. */
  refused: number;
  /**
   * The client's own mistakes: requests answered with a 4xx other than a limit's 429, refused
   * WebSocket frames and WebSocket protocol errors. Counted, never logged above debug.
   */
  clientErrors: number;
  /**
   * `requests` by the HTTP version they came over: "1.1" for HTTP/1.x (plain or TLS; the rare 1.0
   * request counts here too), "2" for HTTP/2 streams.
   */
  versions: Record<HttpVersion, number>;
  /** Requests that came over TLS (HTTP/1.1 on the TLS port, and every HTTP/2 stream). */
  tls: number;
}

/** The HTTP versions the lab serves: HTTP/1.1 plain or over TLS, HTTP/2 over TLS (ALPN `h2`). */
export const HTTP_VERSIONS = ["1.1", "2"] as const;
export type HttpVersion = (typeof HTTP_VERSIONS)[number];

/** The TCP connections the server holds now, by the HTTP version they carry. */
export interface ConnectionCounts {
  /** Connections carrying HTTP/1.1 (an upgraded WebSocket's too), plain or TLS; `tls`: of which over TLS. */
  http1: { open: number; tls: number };
  /** HTTP/2 connections, and the streams open on them (every route's, metered or not). */
  h2: { open: number; streams: number };
  /** SockJS sessions (`stomp-sockjs`) by the sub-transport that opened them: open now, and opened since start. */
  sockjs?: Record<SockjsSubTransport, { open: number; opened: number }>;
}

/** The SockJS transports `/chat` serves (iframe, JSONP and htmlfile ones are not offered). */
export const SOCKJS_SUB_TRANSPORTS = ["websocket", "xhr-streaming", "xhr-polling", "eventsource"] as const;
export type SockjsSubTransport = (typeof SOCKJS_SUB_TRANSPORTS)[number];

export type CountersByTransport = Record<Metered, TransportCounters>;

export interface StatsResponse {
  uptimeMs: number;
  feed: { lastId: number; oldestId: number; retained: number; subscribers: number; redis?: RedisStatus };
  transports: CountersByTransport;
  connections: ConnectionCounts;
  /** Present when `?client=ID` was asked: the same counters for that client's requests alone. */
  client?: { id: string; transports: CountersByTransport };
  /** Always sent by the lab's server; absent from the bare baselines (scripts/bench/baselines/), which never compress. */
  compression?: CompressionStats;
}

/**
 * The shared log behind the feed when `LAB_REDIS_URL` is set (absent otherwise): whether this
 * instance reaches Redis, how far it is behind the log, and what it had to repair.
 */
export interface RedisStatus {
  /** Both connections (commands, and the blocking read of the log) are up. */
  connected: boolean;
  /** The newest id this instance knows the log holds. */
  headId: number;
  /** Messages in the log this instance has not applied yet (headId - lastId). */
  lagMessages: number;
  /** Times this instance, reconnected after losing Redis, read messages published meanwhile from the log. */
  gapFills: number;
  /** Messages read by those gap fills. */
  gapFilledMessages: number;
  /**
   * Times the log no longer held what this instance needed (trimmed past it, or Redis lost its data
   * and the ids restarted higher): the local history restarted and held connections were dropped,
   * so that their clients reconnect and get an explicit reset.
   */
  discontinuities: number;
  /** Publishes answered 503 (or an error frame) because Redis could not store them. */
  publishFailures: number;
}

/** What the server compresses (all off by default), and how much went out compressed. */
export interface CompressionStats {
  /** Poll and long-poll answers, NDJSON and SSE streams, for clients whose Accept-Encoding asks for it. */
  http: "off" | "gzip" | "br";
  /**
   * permessage-deflate on `/api/ws` (for clients that offer it), or null when off. "shared": each
   * message compressed once for all (`server_no_context_takeover`); "connection": a compressor per
   * connection keeping its window (`memLevel` sizes it).
   */
  wsDeflate: { context: "shared" | "connection"; serverMaxWindowBits: number; memLevel: number | null } | null;
  /** Answers (poll, long poll), streams (NDJSON, SSE) and WebSocket connections sent compressed, since start. */
  compressed: Record<Transport, number>;
}

/** GET /api/transport-costs: one transport's cost from the newest committed run that measured it (server/dashboard-costs.ts). */
export interface TransportCost {
  transport: string;
  /** The run's folder in results/, and where its report and results.json are served. */
  run: string;
  reportUrl: string | null;
  resultsUrl: string;
  scenario: string;
  startedAt: string;
  /** The run's workload and conditions, as its report names them. */
  workload: string;
  /** The phase's name in the report (the transport, and its compression or HTTP version when the run chose one). */
  label: string;
  clients: number;
  /** How many times the phase ran; the figures are medians over the repeats, as in the report. */
  repeats: number;
  /** Bytes on the generator's sockets per delivered message, both directions. */
  bytesPerMessage: { up: number; down: number; total: number };
  latencyP99Ms: number;
  requestsPerMessage: number;
}
