/**
 * Every limit and default of the server in one place, read from the environment once at start.
 * Tests and the benchmark pass overrides to `resolveConfig` instead of touching process.env.
 */

export interface LabConfig {
  host: string;
  port: number;
  /** Messages kept for cursor resume. */
  historySize: number;
  /** Messages a subscriber without a cursor (or after a reset) gets before live ones. */
  recentLimit: number;
  /** Most messages in one poll or long-poll answer; `more: true` says there are others waiting. */
  pollPageLimit: number;
  maxTextLength: number;
  maxFromLength: number;
  maxNonceLength: number;
  /** Largest HTTP request body, in bytes (larger gets 413). */
  bodyLimit: number;
  longPollDefaultMs: number;
  longPollMaxMs: number;
  /** Idle streams, SSE and WebSockets get a heartbeat this often, so proxies do not cut them. */
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
}

export const DEFAULTS: LabConfig = {
  host: "127.0.0.1",
  port: 3000,
  historySize: 10_000,
  recentLimit: 50,
  pollPageLimit: 1_000,
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
};

/** Environment variable for each setting (HOST and PORT as usual, the rest prefixed LAB_). */
export const ENV_NAMES: Record<keyof LabConfig, string> = {
  host: "HOST",
  port: "PORT",
  historySize: "LAB_HISTORY_SIZE",
  recentLimit: "LAB_RECENT_LIMIT",
  pollPageLimit: "LAB_POLL_PAGE_LIMIT",
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
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Defaults, then the environment, then explicit overrides; every number checked. */
export function resolveConfig(
  overrides: Partial<LabConfig> = {},
  env: Record<string, string | undefined> = {},
): LabConfig {
  const config: LabConfig = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof LabConfig)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === "") continue;
    if (key === "host") config.host = raw;
    else config[key] = parseWholeNumber(ENV_NAMES[key], raw);
  }
  Object.assign(config, overrides);
  check(config);
  return config;
}

function parseWholeNumber(name: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return Number(raw.trim());
}

function check(config: LabConfig): void {
  const positive: (keyof LabConfig)[] = [
    "historySize", "recentLimit", "pollPageLimit", "maxTextLength", "maxFromLength", "maxNonceLength",
    "bodyLimit", "longPollDefaultMs", "longPollMaxMs", "heartbeatMs", "sseRetryMs", "wsPingMs", "wsMaxPayload", "maxBufferedBytes",
  ];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError(`${ENV_NAMES[key]} must be a positive whole number, got ${String(value)}`);
    }
  }
  if (!Number.isSafeInteger(config.port) || config.port < 0 || config.port > 65_535) {
    throw new ConfigError(`PORT must be 0..65535, got ${config.port}`);
  }
  if (config.wsMaxPayload > 1024 * 1024) throw new ConfigError("LAB_WS_MAX_PAYLOAD must be at most 1 MiB (1048576)");
  if (config.recentLimit > config.historySize) throw new ConfigError("LAB_RECENT_LIMIT must not exceed LAB_HISTORY_SIZE");
  if (config.longPollDefaultMs > config.longPollMaxMs) {
    throw new ConfigError("LAB_LONG_POLL_DEFAULT_MS must not exceed LAB_LONG_POLL_MAX_MS");
  }
}
