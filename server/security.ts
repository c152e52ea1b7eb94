import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import helmet from "@fastify/helmet";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { LabDeps } from "./deps.js";
import type { LabConfig } from "./config.js";
import { allowedHostList, allowedOriginList } from "./config.js";
import { apiError } from "./errors.js";
import { refuse } from "./limits/refuse.js";
import type { RequestCheck } from "./request-gate.js";

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
 * Whether the `Host` a request names is this server. DNS rebinding points a name the attacker owns
 * at 127.0.0.1, so that a page of theirs becomes "same-origin" with the lab; such a request still
 * carries the attacker's name in `Host`. IP literals and `localhost` (which browsers resolve to
 * loopback themselves) cannot be rebound, so they are always allowed, as Vite's dev server does;
 * any other name must be the configured `host` or in `LAB_ALLOWED_HOSTS`. No `Host` at all (an
 * HTTP/1.0 tool) is allowed: a browser always sends one.
 */
export function hostAllowed(hostHeader: string | undefined, allowedNames: ReadonlySet<string>): boolean {
  if (hostHeader === undefined) return true;
  const host = hostHeader.toLowerCase();
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end > 0 && /^(:[0-9]*)?$/.test(host.slice(end + 1)) && isIP(host.slice(1, end)) === 6;
  }
  const name = host.replace(/:[0-9]*$/, "").replace(/\.$/, "");
  if (isIP(name) === 4) return true;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return allowedNames.has(name);
}

/** The authority a request names: `Host` on HTTP/1.1, the `:authority` pseudo-header on HTTP/2. */
export function requestHost(request: FastifyRequest): string | undefined {
  const authority = request.headers[":authority"];
  return request.headers.host ?? (typeof authority === "string" ? authority : undefined);
}

/** The host names `hostAllowed` accepts besides IP literals and localhost. */
export function allowedHostNames(config: Pick<LabConfig, "host" | "allowedHosts">): Set<string> {
  const names = new Set(allowedHostList(config).map((name) => name.replace(/\.$/, "")));
  if (isIP(config.host) === 0 && config.host !== "") names.add(config.host.toLowerCase());
  return names;
}

/**
 * Messages are data, never markup: the dashboard runs under a strict Content-Security-Policy (only
 * its own scripts and styles, network only to its own origin), and a page from a foreign origin can
 * neither open a WebSocket with the visitor's browser (cross-site WebSocket hijacking: browsers do
 * not apply CORS to WebSockets, so the upgrade must check Origin itself) nor call the HTTP API.
 *
 * Returns the request gate's checks: first of all, HTTP and WebSocket upgrade alike, a request for
 * another name is not for this server; then a foreign Origin is refused outright, before CORS and
 * before any route. Every answer gets `nosniff` (no browser may sniff a message's text into HTML);
 * the document headers are `installDocumentSecurity`'s.
 */
export function securityChecks({ config }: Pick<LabDeps, "config">): { host: RequestCheck; origin: RequestCheck; nosniff: RequestCheck } {
  const extra = allowedOriginList(config);
  const hostNames = allowedHostNames(config);
  // Nearly every request names the same Host (and a browser's the same Origin) as the one before:
  // the last verdict is kept, so those cost a string comparison instead of parsing and regexes.
  const hostVerdict = lastVerdict((host: string | undefined) => hostAllowed(host, hostNames));
  const originVerdict = lastVerdict((pair: string) => {
    const [origin, host] = pair.split("\n");
    return originAllowed(origin, host === "" ? undefined : host, extra);
  });
  return {
    host: (request, reply) => {
      const host = requestHost(request);
      if (hostVerdict(host)) return undefined;
      return refuse(request, reply, 403, `host ${JSON.stringify(host?.slice(0, 100))} is not allowed; see LAB_ALLOWED_HOSTS`);
    },
    origin: (request, reply) => {
      const origin = request.headers.origin;
      // A request without an Origin (not from a page) is not a cross-origin request.
      if (origin === undefined || originVerdict(`${origin}\n${requestHost(request) ?? ""}`)) return undefined;
      return refuse(request, reply, 403, `origin ${JSON.stringify(origin)} is not allowed; see LAB_ALLOWED_ORIGINS`);
    },
    nosniff: (_request, reply) => {
      reply.header("x-content-type-options", "nosniff");
      return undefined;
    },
  };
}

/** CORS for the allowed origins. Register after the request gate, so that its preflight route is gated too. */
/** `decide`, remembering its last input and answer. */
function lastVerdict<T>(decide: (input: T) => boolean): (input: T) => boolean {
  let last: T | undefined;
  let verdict = false;
  let known = false;
  return (input) => {
    if (known && input === last) return verdict;
    verdict = decide(input);
    last = input;
    known = true;
    return verdict;
  };
}

/** The response headers a cross-origin page may read: rate-limit answers, and which instance answered. */
const EXPOSED_HEADERS = ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-lab-instance"].join(", ");

/**
 * CORS, in the request gate after the Origin check (which has refused every origin not allowed): a
 * request that carries an Origin gets it reflected (never "*"), `Vary: Origin` and the headers it
 * may read; a preflight (OPTIONS with an Origin) is answered here, 204, before any route. A request
 * without an Origin (a same-origin GET, any non-browser client) gets no CORS header at all: it
 * reads nothing of them. Written here rather than with @fastify/cors, whose hook ran for every
 * request and wrote `Vary` and `Access-Control-Expose-Headers` on every answer: 13% of a poll's
 * server CPU (autocannon, alternated), and about 130 bytes on every poll a browser makes to its own
 * origin, which would have been counted as polling's cost.
 */
export const corsCheck: RequestCheck = (request, reply) => {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  void reply.header("access-control-allow-origin", origin).header("vary", "Origin");
  if (request.method !== "OPTIONS") {
    void reply.header("access-control-expose-headers", EXPOSED_HEADERS);
    return undefined;
  }
  if (request.headers["access-control-request-method"] === undefined) {
    return refuse(request, reply, 400, "a CORS preflight names the method it asks for in Access-Control-Request-Method");
  }
  return reply
    .code(204)
    .header("access-control-allow-methods", "GET, POST")
    .header("access-control-allow-headers", "content-type, last-event-id")
    .header("access-control-max-age", "600")
    .send();
};

/** OPTIONS without an Origin is not a preflight (those are answered by `corsCheck`): no such route. */
export function installPreflightRoute(app: FastifyInstance): void {
  app.options("*", (request, reply) =>
    reply.code(404).send(apiError(404, `no route OPTIONS ${request.url.split("?")[0] ?? ""}: only CORS preflights are answered`)),
  );
}

/**
 * Helmet's headers (about 600 bytes) are for documents: a browser applies CSP, framing and opener
 * policies to pages, not to the JSON, NDJSON, SSE and upgrade responses of the API. Sent on every
 * poll they would make polling look costlier than it is, so they are registered in the dashboard's
 * scope only, for its pages and the reports, and its API routes opt out.
 */
export async function installDocumentSecurity(app: FastifyInstance): Promise<void> {
  // Same-origin WebSockets are covered by 'self' in CSP3; the explicit source is for browsers that
  // predate it: ws: for a page over plain HTTP, wss: for one over TLS (HTTP/1.1 on a TLS socket, or
  // HTTP/2, which the lab serves over TLS only). HTTP/2 names the host in `:authority`.
  const sameOriginSocket = (request: IncomingMessage): string => {
    const authority = request.headers[":authority"];
    const host = request.headers.host ?? (typeof authority === "string" ? authority : undefined);
    const secure = (request.socket as { encrypted?: boolean } | null)?.encrypted === true || request.httpVersionMajor === 2;
    return host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? `${secure ? "wss" : "ws"}://${host}` : "'self'";
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
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/")) route.helmet = false;
  });
  // Benchmark reports under /results/ replace this policy with a sandboxed one (server/dashboard.ts).
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives },
    // The lab is served over plain http on loopback: HSTS would be wrong there, and is the proxy's job.
    strictTransportSecurity: false,
  });
}
