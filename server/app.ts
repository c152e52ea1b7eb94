import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { adminPlugin } from "./admin.js";
import type { LabConfig } from "./config.js";
import { dashboardPlugin } from "./dashboard.js";
import { installErrorHandlers } from "./errors.js";
import { Feed } from "./feed.js";
import { installHeldConnectionLimits } from "./limits/held-connections.js";
import { installPublishRateLimit } from "./limits/rate-limit.js";
import { healthPlugin } from "./metering/health.js";
import { installMeter } from "./metering/meter-plugin.js";
import { SocketMeter } from "./metering/socket-meter.js";
import { Stats } from "./metering/stats.js";
import { statsPlugin } from "./metering/stats-routes.js";
import { installSecurity } from "./security.js";
import { longPollPlugin } from "./transports/long-poll.js";
import { pollPlugin } from "./transports/poll.js";
import { publishPlugin } from "./transports/publish.js";
import { ssePlugin } from "./transports/sse.js";
import { streamPlugin } from "./transports/stream.js";
import { wsPlugin } from "./transports/ws.js";

/** What every route plugin is handed: the one feed, and the one set of counters. */
export interface LabDeps {
  config: LabConfig;
  feed: Feed;
  stats: Stats;
  meter: SocketMeter;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The lab's feed and counters, for tests and tools that hold the app. */
    lab: LabDeps;
  }
}

export interface BuildOptions {
  logger?: FastifyServerOptions["logger"];
}

/** The whole server, not yet listening: `main.ts` listens, tests listen on port 0. */
export async function buildApp(config: LabConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: config.bodyLimit,
    // Held long polls and streams must never be cut by a server timeout.
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    // Slowloris: a client must finish its request headers, and its whole request, in time. Node
    // only times the request itself, so a held response (long poll, stream, SSE) or an upgraded
    // WebSocket is never cut by these.
    requestTimeout: config.requestTimeoutMs,
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: config.timeoutCheckMs },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const stats = new Stats();
  const deps: LabDeps = { config, feed: new Feed(config.historySize, config.recentLimit), stats, meter: new SocketMeter(stats) };

  app.decorate("lab", deps);
  installErrorHandlers(app);
  installMeter(app, deps.meter);
  // Refusals come after metering, so refused requests are counted, and before any route work.
  await installSecurity(app, deps);
  installHeldConnectionLimits(app, deps);
  await installPublishRateLimit(app, deps);
  for (const plugin of [adminPlugin, publishPlugin, pollPlugin, longPollPlugin, streamPlugin, ssePlugin, wsPlugin, statsPlugin, healthPlugin, dashboardPlugin]) {
    await app.register(plugin, deps);
  }
  return app;
}
