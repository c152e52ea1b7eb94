/** One server instance behind the load balancer. */
export interface Backend {
  name: string;
  port: number;
}

export interface HaproxyOptions {
  /** The load balancer's port, on 127.0.0.1. */
  port: number;
  backends: readonly Backend[];
  /** The longest a long poll may be held (the servers' LAB_LONG_POLL_MAX_MS): no timeout may cut one sooner. */
  longPollMaxMs: number;
  /** Connections the proxy accepts at once (each costs it two file descriptors). */
  maxConnections: number;
}

/**
 * HAProxy's configuration for the lab: HTTP mode, round-robin per request with no stickiness (a
 * client's consecutive polls on one keep-alive connection may land on different instances: the
 * point of the exercise), WebSocket upgrades tunnelled, health checks on /api/health.
 *
 * Timeouts: `server` and `client` bound silence on a request or response, so they sit above the
 * long-poll clamp (a held long poll is silent until it is answered) and above the stream heartbeat;
 * `tunnel` takes over once a WebSocket is upgraded (the server pings every 30 s). A connection
 * refused by a dead instance is retried on another one (`redispatch`), which is safe for a POST
 * too: nothing reached the dead server. Nothing else is retried: a request that reached an
 * instance may have been acted on.
 *
 * SockJS (`/chat/<server>/<session>/<transport>`) is the one exception to "any request anywhere":
 * a SockJS session lives in the instance that opened it (its HTTP fallbacks send frames in
 * separate POSTs), so `/chat/` requests are hashed on the path up to the session id. No cookie, no
 * table: the URL names the session, which is how SockJS means to be balanced.
 */
export function haproxyConfig(options: HaproxyOptions): string {
  const holdMs = options.longPollMaxMs + 15_000;
  const lines = [
    "global",
    `  maxconn ${options.maxConnections}`,
    "",
    "defaults",
    "  mode http",
    // Without it HAProxy holds small writes back to merge them (MSG_MORE), and with the peer's
    // delayed ACK a streamed message waited ~110 ms at p50: a live feed is all small writes.
    "  option http-no-delay",
    "  option redispatch 1",
    "  retries 2",
    "  timeout connect 2s",
    `  timeout client ${holdMs}ms`,
    `  timeout server ${holdMs}ms`,
    "  timeout tunnel 1h",
    "  timeout http-request 10s",
    "  timeout http-keep-alive 75s",
    "  timeout client-fin 5s",
    "",
    "frontend lab",
    `  bind 127.0.0.1:${options.port}`,
    `  maxconn ${options.maxConnections}`,
    "  use_backend sockjs if { path_beg /chat/ }",
    "  default_backend instances",
    "",
    "backend instances",
    "  balance roundrobin",
    ...servers(options.backends),
    "",
    "backend sockjs",
    "  balance uri depth 3",
    "  hash-type consistent",
    // The same servers: their state follows the other backend's checks rather than doubling them.
    ...options.backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} track instances/${b.name}`),
    "",
  ];
  return lines.join("\n");
}

/** Health checks and the server lines, the same in both backends. */
function servers(backends: readonly Backend[]): string[] {
  return [
    "  option httpchk GET /api/health",
    "  http-check expect status 200",
    // A killed instance is out after two failed checks a second apart (until then, connections it refuses are redispatched); a restarted one is in after one.
    "  default-server inter 1s fall 2 rise 1",
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
  ];
}
