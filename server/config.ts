import { PROFILE_NAMES, isProfileName, type ProfileName } from "../scripts/net/profiles.js";

/**
 * Every limit and default of the server in one place, read from the environment once at start.
 * Tests and the benchmark pass overrides to `resolveConfig` instead of touching process.env.
 */

export interface LabConfig {
  host: string;
  port: number;
  /** The TLS listener's port (HTTP/2 and HTTP/1.1 by ALPN, the same app); 0 turns it off. */
  tlsPort: number;
  /** PEM certificate and key files for the TLS listener; empty: a development certificate made on first start. */
  tlsCert: string;
  tlsKey: string;
  /** Messages kept for cursor resume. */
  historySize: number;
  /** Messages a subscriber without a cursor (or after a reset) gets before live ones. */
  recentLimit: number;
  /** Most messages in one poll or long-poll answer or catch-up page; `more: true` says there are others waiting. */
  pollPageLimit: number;
  /**
   * Most bytes of messages in one poll or long-poll answer or catch-up page (a page always holds at
   * least one message). Together with `maxBufferedBytes` this bounds what the server holds per client.
   */
  pageBytes: number;
  maxTextLength: number;
  maxFromLength: number;
  maxNonceLength: number;
  /** Largest HTTP request body, in bytes (larger gets 413). */
  bodyLimit: number;
  longPollDefaultMs: number;
  longPollMaxMs: number;
  /**
   * A stream or SSE connection silent this long has had a heartbeat (one timer sweeps them every half
   * period, so the silence before one is between half and all of it), so proxies do not cut it.
   * WebSockets have pings instead.
   */
  heartbeatMs: number;
  /** The SSE `retry:` hint: how long EventSource waits before reconnecting. */
  sseRetryMs: number;
  /** WebSocket ping period; a peer that missed the previous pong is terminated. */
  wsPingMs: number;
  /** Largest WebSocket message, in bytes (larger closes with 1009). */
  wsMaxPayload: number;
  /** A stream, SSE or WebSocket subscriber holding more unsent bytes than this is cut off. */
  maxBufferedBytes: number;
  /** Grace time for in-flight work on SIGINT/SIGTERM before connections are destroyed. */
  shutdownGraceMs: number;
  /**
   * On shutdown, how long polls and long polls are still answered (at once, from the history) after
   * publishing has stopped, so a subscriber between two requests collects what was acknowledged.
   */
  shutdownDrainMs: number;
  /** Held connections (long polls, streams, SSE, WebSockets) open at once, all clients together (beyond: 503). */
  maxHeldConnections: number;
  /** Held connections open at once from one IP address (beyond: 429). */
  maxHeldPerIp: number;
  /** The `Retry-After` a refused held connection is told, in seconds. */
  retryAfterSeconds: number;
  /** Messages one IP address may publish per window, over HTTP and WebSocket together (beyond: 429 or error frame). */
  publishRateMax: number;
  publishRateWindowMs: number;
  /** Sends refused for the rate limit, within one window, after which a WebSocket is closed with 1008. */
  wsRateCloseAfter: number;
  /** A client must have sent its request headers within this time (slowloris); 408 after. */
  headersTimeoutMs: number;
  /** A client must have sent its whole request (headers and body) within this time; held responses are not affected. */
  requestTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  timeoutCheckMs: number;
  /**
   * Origins allowed to use the API from a browser (CORS, WebSocket upgrade), comma-separated, besides
   * the server's own origin and loopback origins, which are always allowed. A foreign Origin gets 403.
   */
  allowedOrigins: string;
  /**
   * Host names (the `Host` header without its port) this server answers to, comma-separated, besides
   * IP addresses, `localhost` and the configured `host`. Any other name gets 403: a page on a
   * DNS-rebinding domain cannot drive the lab.
   */
  allowedHosts: string;
  /** `/api/wire` captures running at once (beyond: 429). */
  maxWireCaptures: number;
  /** Enables `POST /api/admin/drop` (server-side connection drops for fault tests). Never on in production. */
  adminHooks: boolean;
  /**
   * A Redis URL (`redis://host:port[/db]`, `rediss://` for TLS): the feed's log then lives in Redis,
   * shared by every instance given the same URL (redis-feed.ts). Empty: the in-memory ring.
   */
  redisUrl: string;
  /**
   * A profile name from scripts/net/profiles.ts: the lab is then also served through the link
   * emulator on `networkPort` (loopback), so a browser can watch the transports on a slow line.
   * Empty (or "off"): no second port.
   */
  networkProfile: string;
  /** The emulated link's port, on loopback; 0 picks a free one. Only used with `networkProfile`. */
  networkPort: number;
  /**
   * HTTP compression of poll and long-poll answers and of NDJSON and SSE streams (flushed per
   * message): "off", "gzip" or "br", used only for a client whose Accept-Encoding asks for it.
   */
  compress: string;
  /** permessage-deflate (RFC 7692) for `/api/ws`, used only when the client offers it. */
  wsDeflate: boolean;
  /**
   * "shared": `server_no_context_takeover`, each message compressed once and the same frame written
   * to every subscriber (ws-frames.ts); "connection": a compressor per connection that keeps its
   * window across messages (smaller frames, a zlib context per connection, ws's `send`).
   */
  wsDeflateContext: string;
  /** `server_max_window_bits` (9..15): the LZ77 window the server compresses with and every client must accept. */
  wsDeflateWindowBits: number;
  /** zlib's memLevel (1..9) for the per-connection compressors ("connection" only): their memory, with the window. */
  wsDeflateMemLevel: number;
  /**
   * This server's name among several behind a load balancer: every response and WebSocket handshake
   * then carries it in `X-Lab-Instance` (server/instance.ts). Empty: no such header.
   */
  instance: string;
}

export const DEFAULTS: LabConfig = {
  host: "127.0.0.1",
  port: 3000,
  tlsPort: 3443,
  tlsCert: "",
  tlsKey: "",
  historySize: 10_000,
  recentLimit: 50,
  pollPageLimit: 1_000,
  pageBytes: 64 * 1024,
  maxTextLength: 2_000,
  maxFromLength: 64,
  maxNonceLength: 128,
  bodyLimit: 16 * 1024,
  longPollDefaultMs: 25_000,
  longPollMaxMs: 60_000,
  heartbeatMs: 15_000,
  sseRetryMs: 2_000,
  wsPingMs: 30_000,
  wsMaxPayload: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  shutdownGraceMs: 1_500,
  shutdownDrainMs: 250,
  maxHeldConnections: 10_000,
  maxHeldPerIp: 256,
  retryAfterSeconds: 5,
  publishRateMax: 1_000,
  publishRateWindowMs: 10_000,
  wsRateCloseAfter: 100,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckMs: 1_000,
  allowedOrigins: "",
  allowedHosts: "",
  maxWireCaptures: 4,
  adminHooks: false,
  redisUrl: "",
  networkProfile: "",
  networkPort: 3100,
  compress: "off",
  wsDeflate: false,
  wsDeflateContext: "shared",
  wsDeflateWindowBits: 15,
  wsDeflateMemLevel: 8,
  instance: "",
};

/** Environment variable for each setting (HOST and PORT as usual, the rest prefixed LAB_). */
export const ENV_NAMES: Record<keyof LabConfig, string> = {
  host: "HOST",
  port: "PORT",
  tlsPort: "LAB_TLS_PORT",
  tlsCert: "LAB_TLS_CERT",
  tlsKey: "LAB_TLS_KEY",
  historySize: "LAB_HISTORY_SIZE",
  recentLimit: "LAB_RECENT_LIMIT",
  pollPageLimit: "LAB_POLL_PAGE_LIMIT",
  pageBytes: "LAB_PAGE_BYTES",
  maxTextLength: "LAB_MAX_TEXT_LENGTH",
  maxFromLength: "LAB_MAX_FROM_LENGTH",
  maxNonceLength: "LAB_MAX_NONCE_LENGTH",
  bodyLimit: "LAB_BODY_LIMIT",
  longPollDefaultMs: "LAB_LONG_POLL_DEFAULT_MS",
  longPollMaxMs: "LAB_LONG_POLL_MAX_MS",
  heartbeatMs: "LAB_HEARTBEAT_MS",
  sseRetryMs: "LAB_SSE_RETRY_MS",
  wsPingMs: "LAB_WS_PING_MS",
  wsMaxPayload: "LAB_WS_MAX_PAYLOAD",
  maxBufferedBytes: "LAB_MAX_BUFFERED_BYTES",
  shutdownGraceMs: "LAB_SHUTDOWN_GRACE_MS",
  shutdownDrainMs: "LAB_SHUTDOWN_DRAIN_MS",
  maxHeldConnections: "LAB_MAX_HELD_CONNECTIONS",
  maxHeldPerIp: "LAB_MAX_HELD_PER_IP",
  retryAfterSeconds: "LAB_RETRY_AFTER_SECONDS",
  publishRateMax: "LAB_PUBLISH_RATE_MAX",
  publishRateWindowMs: "LAB_PUBLISH_RATE_WINDOW_MS",
  wsRateCloseAfter: "LAB_WS_RATE_CLOSE_AFTER",
  headersTimeoutMs: "LAB_HEADERS_TIMEOUT_MS",
  requestTimeoutMs: "LAB_REQUEST_TIMEOUT_MS",
  timeoutCheckMs: "LAB_TIMEOUT_CHECK_MS",
  allowedOrigins: "LAB_ALLOWED_ORIGINS",
  allowedHosts: "LAB_ALLOWED_HOSTS",
  maxWireCaptures: "LAB_MAX_WIRE_CAPTURES",
  adminHooks: "LAB_ADMIN_HOOKS",
  redisUrl: "LAB_REDIS_URL",
  networkProfile: "LAB_NETWORK_PROFILE",
  networkPort: "LAB_NETWORK_PORT",
  compress: "LAB_COMPRESS",
  wsDeflate: "LAB_WS_DEFLATE",
  wsDeflateContext: "LAB_WS_DEFLATE_CONTEXT",
  wsDeflateWindowBits: "LAB_WS_DEFLATE_WINDOW_BITS",
  wsDeflateMemLevel: "LAB_WS_DEFLATE_MEM_LEVEL",
  instance: "LAB_INSTANCE",
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Defaults, then the environment, then explicit overrides; every number checked. */
export function resolveConfig(overrides: Partial<LabConfig> = {}, env: Record<string, string | undefined> = {}): LabConfig {
  const config: LabConfig = { ...DEFAULTS };
  const settings = config as unknown as Record<keyof LabConfig, string | number | boolean>;
  for (const key of Object.keys(DEFAULTS) as (keyof LabConfig)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === "") continue;
    const kind = typeof DEFAULTS[key];
    if (kind === "string") settings[key] = raw;
    else if (kind === "boolean") settings[key] = parseFlag(ENV_NAMES[key], raw);
    else settings[key] = parseWholeNumber(ENV_NAMES[key], raw);
  }
  Object.assign(config, overrides);
  check(config);
  return config;
}

function parseWholeNumber(name: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return Number(raw.trim());
}

function parseFlag(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new ConfigError(`${name} must be 1, 0, true or false, got "${raw}"`);
}

function check(config: LabConfig): void {
  const positive: (keyof LabConfig)[] = [
    "historySize",
    "recentLimit",
    "pollPageLimit",
    "pageBytes",
    "maxWireCaptures",
    "maxTextLength",
    "maxFromLength",
    "maxNonceLength",
    "bodyLimit",
    "longPollDefaultMs",
    "longPollMaxMs",
    "heartbeatMs",
    "sseRetryMs",
    "wsPingMs",
    "wsMaxPayload",
    "maxBufferedBytes",
    "maxHeldConnections",
    "maxHeldPerIp",
    "retryAfterSeconds",
    "publishRateMax",
    "publishRateWindowMs",
    "wsRateCloseAfter",
    "headersTimeoutMs",
    "requestTimeoutMs",
    "timeoutCheckMs",
  ];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError(`${ENV_NAMES[key]} must be a positive whole number, got ${String(value)}`);
    }
  }
  if (!Number.isSafeInteger(config.shutdownDrainMs) || config.shutdownDrainMs < 0 || config.shutdownDrainMs >= config.shutdownGraceMs) {
    throw new ConfigError("LAB_SHUTDOWN_DRAIN_MS must be a whole number of ms, 0 or more, below LAB_SHUTDOWN_GRACE_MS");
  }
  if (!Number.isSafeInteger(config.port) || config.port < 0 || config.port > 65_535) {
    throw new ConfigError(`PORT must be 0..65535, got ${config.port}`);
  }
  if (!Number.isSafeInteger(config.tlsPort) || config.tlsPort < 0 || config.tlsPort > 65_535) {
    throw new ConfigError(`LAB_TLS_PORT must be 0..65535 (0: no TLS listener), got ${config.tlsPort}`);
  }
  if ((config.tlsCert === "") !== (config.tlsKey === "")) throw new ConfigError("LAB_TLS_CERT and LAB_TLS_KEY go together: set both, or neither");
  if (config.wsMaxPayload > 1024 * 1024) throw new ConfigError("LAB_WS_MAX_PAYLOAD must be at most 1 MiB (1048576)");
  if (config.recentLimit > config.historySize) throw new ConfigError("LAB_RECENT_LIMIT must not exceed LAB_HISTORY_SIZE");
  // Node refuses a headers timeout longer than the whole-request timeout.
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError("LAB_HEADERS_TIMEOUT_MS must not exceed LAB_REQUEST_TIMEOUT_MS");
  }
  allowedOriginList(config);
  allowedHostList(config);
  if (config.redisUrl !== "" && !/^rediss?:\/\/[^\s]+$/.test(config.redisUrl)) {
    throw new ConfigError(`LAB_REDIS_URL must be a redis:// or rediss:// URL (empty: the in-memory feed), got "${config.redisUrl}"`);
  }
  checkNetworkLink(config);
  httpCompression(config);
  if (!Number.isSafeInteger(config.wsDeflateWindowBits) || config.wsDeflateWindowBits < 9 || config.wsDeflateWindowBits > 15) {
    throw new ConfigError(`LAB_WS_DEFLATE_WINDOW_BITS must be 9..15 (RFC 7692), got ${config.wsDeflateWindowBits}`);
  }
  if (!Number.isSafeInteger(config.wsDeflateMemLevel) || config.wsDeflateMemLevel < 1 || config.wsDeflateMemLevel > 9) {
    throw new ConfigError(`LAB_WS_DEFLATE_MEM_LEVEL must be 1..9 (zlib's memLevel), got ${config.wsDeflateMemLevel}`);
  }
  wsDeflateContext(config);
  if (config.instance !== "" && !/^[A-Za-z0-9._:@-]{1,64}$/.test(config.instance)) {
    throw new ConfigError(`LAB_INSTANCE must be 1 to 64 letters, digits or . _ : @ - (it goes into a header), got "${config.instance}"`);
  }
  if (config.longPollDefaultMs > config.longPollMaxMs) {
    throw new ConfigError("LAB_LONG_POLL_DEFAULT_MS must not exceed LAB_LONG_POLL_MAX_MS");
  }
}

/** `allowedOrigins` as a list of exact origins (`scheme://host[:port]`); ConfigError for anything else. */
export function allowedOriginList(config: Pick<LabConfig, "allowedOrigins">): string[] {
  const list = config.allowedOrigins
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of list) {
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== entry) throw new ConfigError(`LAB_ALLOWED_ORIGINS: "${entry}" is not an origin like https://example.org:8443`);
  }
  return list;
}

/** `allowedHosts` as a list of lower-case host names; ConfigError for anything that is not one. */
export function allowedHostList(config: Pick<LabConfig, "allowedHosts">): string[] {
  const list = config.allowedHosts
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const entry of list) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)) {
      throw new ConfigError(`LAB_ALLOWED_HOSTS: "${entry}" is not a host name like lab.example.org (no scheme, no port)`);
    }
  }
  return list;
}

/** The profile the second port runs through, or null when there is none ("" or "off"); ConfigError for an unknown name. */
export function networkProfileName(config: Pick<LabConfig, "networkProfile">): ProfileName | null {
  const name = config.networkProfile.trim().toLowerCase();
  if (name === "" || name === "off") return null;
  if (!isProfileName(name)) {
    throw new ConfigError(`LAB_NETWORK_PROFILE: unknown profile "${config.networkProfile}"; known profiles: ${PROFILE_NAMES.join(", ")} (or off)`);
  }
  return name;
}

function checkNetworkLink(config: LabConfig): void {
  const name = networkProfileName(config);
  if (!Number.isSafeInteger(config.networkPort) || config.networkPort < 0 || config.networkPort > 65_535) {
    throw new ConfigError(`LAB_NETWORK_PORT must be 0..65535 (0: a free port), got ${config.networkPort}`);
  }
  if (name !== null && config.networkPort !== 0 && (config.networkPort === config.port || config.networkPort === config.tlsPort)) {
    throw new ConfigError(`LAB_NETWORK_PORT (${config.networkPort}) must differ from PORT and LAB_TLS_PORT: the link sits in front of the plain port`);
  }
}

export const HTTP_COMPRESSIONS = ["off", "gzip", "br"] as const;
export type HttpCompression = (typeof HTTP_COMPRESSIONS)[number];

/** The HTTP compression setting, checked; ConfigError for anything but off, gzip or br. */
export function httpCompression(config: Pick<LabConfig, "compress">): HttpCompression {
  const value = config.compress.trim().toLowerCase();
  if (value === "") return "off";
  const known = HTTP_COMPRESSIONS.find((name) => name === value);
  if (known === undefined) throw new ConfigError(`LAB_COMPRESS must be off, gzip or br, got "${config.compress}"`);
  return known;
}

export type WsDeflateContext = "shared" | "connection";

/** The permessage-deflate mode, checked; ConfigError for anything but shared or connection. */
export function wsDeflateContext(config: Pick<LabConfig, "wsDeflateContext">): WsDeflateContext {
  const value = config.wsDeflateContext.trim().toLowerCase();
  if (value === "shared" || value === "") return "shared";
  if (value === "connection") return "connection";
  throw new ConfigError(`LAB_WS_DEFLATE_CONTEXT must be shared or connection, got "${config.wsDeflateContext}"`);
}
