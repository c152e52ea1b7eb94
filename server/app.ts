import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { LabDeps } from "./deps.js";
import { adminPlugin } from "./admin.js";
import type { LabConfig } from "./config.js";
import { dashboardPlugin } from "./dashboard.js";
import { answerExpectation, clientErrorHandler, countClientErrors, frameworkErrors, installErrorHandlers } from "./errors.js";
import { installNetworkLink } from "./network-link.js";
import { http2RequestTimeout } from "./limits/h2-request-timeout.js";
import { installHeldConnectionLimits } from "./limits/held-connections.js";
import { installPublishRateLimit } from "./limits/rate-limit.js";
import { guardUpgrade } from "./limits/upgrade-guard.js";
import { healthPlugin } from "./metering/health.js";
import { installMeter } from "./metering/meter-plugin.js";
import { ClientEvents } from "./metering/client-events.js";
import { clientEventsPlugin } from "./metering/client-events-route.js";
import { SelfCaptures, selfCaptureCheck } from "./metering/self-capture.js";
import { SocketMeter } from "./metering/socket-meter.js";
import { Stats } from "./metering/stats.js";
import { statsPlugin } from "./metering/stats-routes.js";
import { installRequestGate } from "./request-gate.js";
import { installSharedFeed, openFeed } from "./shared-feed.js";
import { instanceHeaderCheck } from "./instance.js";
import { corsCheck, installPreflightRoute, securityChecks } from "./security.js";
import type { Certificate } from "./tls/certificate.js";
import { SecureListener } from "./tls/secure-listener.js";
import { installShutdownGate, shutdownDrainPlugin } from "./shutdown-gate.js";
import { longPollPlugin } from "./transports/long-poll.js";
import { pollPlugin } from "./transports/poll.js";
import { publishPlugin } from "./transports/publish.js";
import { ssePlugin } from "./transports/sse.js";
import { streamPlugin } from "./transports/stream.js";
import { wsPlugin } from "./transports/ws.js";
import { sockjsPlugin } from "./stomp/sockjs.js";
import { stompWsPlugin } from "./stomp/stomp-ws.js";

/** How long an idle keep-alive connection (HTTP/1.1) or an HTTP/2 connection without streams is kept. */
const KEEP_ALIVE_MS = 72_000;
/** Log levels at which Fastify's per-request lines ("incoming request", "request completed") are written. */
const PER_REQUEST_LEVELS: ReadonlySet<string> = new Set(["trace", "debug", "info"]);

export interface BuildOptions {
  logger?: FastifyServerOptions["logger"];
  /** Serve the app over TLS too (HTTP/2 and HTTP/1.1): `app.secure.listen()` then opens the port. */
  certificate?: Certificate;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The TLS listener, when built with a certificate. */
    secure: SecureListener | null;
  }
}

/** The whole server, not yet listening: `main.ts` listens, tests listen on port 0. */
export async function buildApp(config: LabConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  // First: a Redis that cannot be reached stops the start here, before anything listens.
  const feed = await openFeed(config);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: config.bodyLimit,
    // Held long polls and streams must never be cut by a server timeout.
    connectionTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // Slowloris: a client must finish its request headers, and its whole request, in time. Node
    // only times the request itself, so a held response (long poll, stream, SSE) or an upgraded
    // WebSocket is never cut by these.
    requestTimeout: config.requestTimeoutMs,
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: config.timeoutCheckMs },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Every refusal, including those made before routing, is `{error, message}` (errors.ts).
    clientErrorHandler,
    frameworkErrors,
    return503OnClosing: false,
    // Fastify's default makes a child logger per request, which cost more than a poll's own work
    // (3% of the server's time under autocannon). Its bindings (the request id) only matter for
    // the per-request lines logged at info and below; above that, a request logs through the
    // server's logger, and Fastify's error lines still carry the request's method and URL.
    childLoggerFactory: (logger, bindings, childOptions) => (PER_REQUEST_LEVELS.has(logger.level) ? logger.child(bindings, childOptions) : logger),
  });
  app.server.on("checkExpectation", answerExpectation);
  // Bodies are JSON only: a text/plain body is refused with 415, not parsed into a string that the
  // schema then calls "not an object".
  app.removeContentTypeParser("text/plain");
  const selfCaptures = new SelfCaptures();
  const stats = new Stats(undefined, selfCaptures.client);
  const meter = new SocketMeter(stats);
  const events = new ClientEvents(() => meter.flushAll());
  const deps: LabDeps = { selfCaptures, config, feed, stats, meter, events, closing: false };

  app.decorate("lab", deps);
  const secure = options.certificate === undefined ? null : new SecureListener(app, options.certificate, config.headersTimeoutMs, KEEP_ALIVE_MS);
  app.decorate("secure", secure);
  // After the plain listener has closed (long polls answered, streams ended): HTTP/2 clients get GOAWAY.
  if (secure !== null) app.addHook("onClose", () => secure.close());
  installErrorHandlers(app);
  const identifyForMeter = installMeter(app, deps.meter, events);
  // Its preClose hook must run before every other one (long polls are answered in theirs).
  const shutdownCheck = installShutdownGate(app, deps);
  const security = securityChecks(deps);
  const held = installHeldConnectionLimits(app, deps);
  // Metering first, so refused requests are counted; every refusal before any route work; a held
  // slot is taken last, once nothing else can refuse.
  installRequestGate(
    app,
    [
      identifyForMeter,
      // Before every refusal, so that refusals name the instance too; absent when it has no name (instance.ts).
      ...(config.instance === "" ? [] : [instanceHeaderCheck(config.instance)]),
      guardUpgrade,
      http2RequestTimeout(config),
      selfCaptureCheck(selfCaptures),
      shutdownCheck,
      security.host,
      security.origin,
      security.nosniff,
      corsCheck,
      held.check,
    ],
    [countClientErrors(stats), held.afterResponse],
  );
  installSharedFeed(app, feed, config);
  // After the listeners have closed: nothing publishes or reads any more.
  app.addHook("onClose", () => feed.close());
  installPreflightRoute(app);
  await installPublishRateLimit(app, deps);
  await installNetworkLink(app);
  for (const plugin of [
    adminPlugin,
    publishPlugin,
    pollPlugin,
    longPollPlugin,
    streamPlugin,
    ssePlugin,
    wsPlugin,
    stompWsPlugin,
    sockjsPlugin,
    statsPlugin,
    clientEventsPlugin,
    healthPlugin,
    dashboardPlugin,
    shutdownDrainPlugin,
  ]) {
    await app.register(plugin, deps);
  }
  return app;
}
