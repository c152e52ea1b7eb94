import type { IncomingMessage } from "node:http";
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { LabDeps } from "./app.js";
import { allowedOriginList } from "./config.js";
import { refuse } from "./limits/refuse.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether a browser page from `origin` may use this server: its own origin (the Host it was asked
 * for), any loopback origin (the Vite dev server, local tools) and the configured list. Requests
 * without an Origin header come from non-browser clients (curl, the benchmark) and are allowed.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, extra: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes "null", sent by sandboxed frames and file: pages
  }
  if (url.origin !== origin || (url.protocol !== "http:" && url.protocol !== "https:")) return false;
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  return LOOPBACK_HOSTS.has(url.hostname) || extra.includes(origin);
}

/**
 * Messages are data, never markup: the dashboard runs under a strict Content-Security-Policy (only
 * its own scripts and styles, network only to its own origin), and a page from a foreign origin can
 * neither open a WebSocket with the visitor's browser (cross-site WebSocket hijacking: browsers do
 * not apply CORS to WebSockets, so the upgrade must check Origin itself) nor call the HTTP API.
 */
export async function installSecurity(app: FastifyInstance, { config }: LabDeps): Promise<void> {
  const extra = allowedOriginList(config);
  const allowed = (request: FastifyRequest): boolean => originAllowed(request.headers.origin, request.headers.host, extra);

  // Before CORS and before any route: a foreign Origin is refused outright, preflights included.
  app.addHook("onRequest", async (request, reply) => {
    if (allowed(request)) return;
    return refuse(request, reply, 403, `origin ${JSON.stringify(request.headers.origin)} is not allowed; see LAB_ALLOWED_ORIGINS`);
  });

  await app.register(cors, {
    // Only allowed origins reach this point; they get their own origin reflected, never "*".
    delegator: (request, callback) => callback(null, { origin: allowed(request as FastifyRequest) }),
    methods: ["GET", "POST"],
    allowedHeaders: ["content-type", "last-event-id"],
    exposedHeaders: ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"],
    maxAge: 600,
  });

  // Same-origin WebSockets are covered by 'self' in CSP3; the explicit ws: source is for browsers that predate it.
  const sameOriginSocket = (request: IncomingMessage): string => {
    const host = request.headers.host;
    return host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? `ws://${host}` : "'self'";
  };
  const directives = {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'", sameOriginSocket],
    manifestSrc: ["'self'"],
    // The Reports view shows the benchmark's own report pages in a frame; nobody else may frame anything.
    frameSrc: ["'self'"],
    frameAncestors: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    objectSrc: ["'none'"],
  };
  // Helmet's headers (about 600 bytes) are for documents: a browser applies CSP, framing and opener
  // policies to pages, not to the JSON, NDJSON, SSE and upgrade responses of the API. Sent on every
  // poll they would make polling look costlier than it is, so the API gets only `nosniff`, the one
  // that protects a data response (no browser may sniff a message's text into HTML).
  const isApi = (url: string | undefined): boolean => url !== undefined && (url.startsWith("/api/") || url === "/metrics");
  app.addHook("onRoute", (route) => {
    if (isApi(route.url)) route.helmet = false;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (isApi(request.routeOptions.url)) reply.header("x-content-type-options", "nosniff");
  });
  // Benchmark reports under /results/ replace this policy with a sandboxed one (server/dashboard.ts).
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives },
    // The lab is served over plain http on loopback: HSTS would be wrong there, and is the proxy's job.
    strictTransportSecurity: false,
  });
}
