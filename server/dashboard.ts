import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { STOMP_TRANSPORTS, type StompTransport, TRANSPORTS, type Transport } from "../protocol/types.js";
import type { LabDeps } from "./deps.js";
import { TransportCosts } from "./dashboard-costs.js";
import { listRuns } from "./dashboard-reports.js";
import { captureWire, selfAddress } from "./dashboard-wire.js";
import { captureStompWire } from "./dashboard-wire-stomp.js";
import { apiError } from "./errors.js";
import { ROOT } from "./paths.js";
import { installDocumentSecurity } from "./security.js";

const CLIENT_DIST = join(ROOT, "client/dist/");
const RESULTS_DIR = join(ROOT, "results/");

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Transport lab: dashboard not built</title>
<h1>The dashboard is not built yet</h1>
<p>Run <code>npm run build:client</code> (or start with <code>npm start</code>, which builds it first),
or use <code>npm run dev</code> for the hot-reloading dev server. The API works already: see <code>/api/stats</code>.</p>`;

/**
 * A benchmark report is self-contained (chart.js and its data inline, so it also opens from disk),
 * which the dashboard's own policy forbids. It runs instead in a CSP sandbox: an opaque origin that
 * can run its inline scripts but cannot reach the lab's API, storage or the network.
 */
const REPORT_CSP = [
  "sandbox allow-scripts",
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const wireParams = {
  type: "object",
  additionalProperties: false,
  required: ["transport"],
  properties: { transport: { type: "string", enum: [...TRANSPORTS, ...STOMP_TRANSPORTS] } },
} as const;
const noQuery = { type: "object", additionalProperties: false, properties: {} } as const;
const CARD_TRANSPORTS = [...TRANSPORTS, ...STOMP_TRANSPORTS] as const;
const costQuery = {
  type: "object",
  additionalProperties: false,
  properties: { transport: { type: "string", enum: CARD_TRANSPORTS } },
} as const;

/** The browser dashboard: static files, the benchmark reports and the wire echo. */
export async function dashboardPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  await installDocumentSecurity(app);
  if (existsSync(`${CLIENT_DIST}index.html`)) {
    await app.register(fastifyStatic, { root: CLIENT_DIST, prefix: "/", wildcard: true });
  } else {
    app.get("/", async (_request, reply) => reply.code(503).type("text/html; charset=utf-8").send(NOT_BUILT));
  }

  // The benchmark writes results/<date>-<scenario>/; serving the folder lets the page open reports.
  mkdirSync(RESULTS_DIR, { recursive: true });
  await app.register(async (results) => {
    results.addHook("onSend", async (_request, reply, payload) => {
      if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
        reply.header("content-security-policy", REPORT_CSP);
        // A sandboxed page has an opaque origin, which cannot be origin-keyed: Chromium warns in the
        // console of every report that asks for it, so report pages do not.
        reply.removeHeader("origin-agent-cluster");
      }
      return payload;
    });
    await results.register(fastifyStatic, { root: RESULTS_DIR, prefix: "/results/", decorateReply: false, index: false });
  });
  app.get("/api/reports", { schema: { querystring: noQuery } }, async () => ({
    runs: await listRuns(RESULTS_DIR),
    // The report tool's page comparing runs side by side, once it has been generated.
    indexUrl: existsSync(`${RESULTS_DIR}index.html`) ? "/results/index.html" : null,
  }));

  // The transport cards' measured cost: per transport, the newest run in results/ that measured it.
  const costs = new TransportCosts(RESULTS_DIR);
  app.get<{ Querystring: { transport?: Transport | StompTransport } }>("/api/transport-costs", { schema: { querystring: costQuery } }, async (request) => {
    const { transport } = request.query;
    return { transports: await costs.latest(await listRuns(RESULTS_DIR), transport === undefined ? CARD_TRANSPORTS : [transport]) };
  });

  let capturing = 0;
  app.get<{ Params: { transport: Transport | StompTransport } }>(
    "/api/wire/:transport",
    { schema: { params: wireParams, querystring: noQuery } },
    async (request, reply) => {
      // A HEAD gets the headers at once: no capture is made for a body nobody reads.
      if (request.method === "HEAD") return reply.type("application/json; charset=utf-8").send();
      const target = selfAddress(app.server.address());
      if (target === null) return reply.code(503).send(apiError(503, "the server is not listening on TCP"));
      // Each capture is a connection to itself held up to 1.5 s: a few at once are plenty for
      // people looking at the view, and a flood of them must not load the server.
      if (capturing >= deps.config.maxWireCaptures) {
        return reply
          .code(429)
          .header("retry-after", "1")
          .send(apiError(429, `at most ${deps.config.maxWireCaptures} wire captures run at once; retry in a second`));
      }
      capturing++;
      try {
        // Resume one message back, so the capture shows a real message in each transport's framing.
        const after = deps.feed.retained > 0 ? deps.feed.lastId - 1 : undefined;
        const { transport } = request.params;
        const capture =
          transport === "stomp-ws" || transport === "stomp-sockjs"
            ? await captureStompWire(transport, target, after, deps.selfCaptures)
            : await captureWire(transport, target, after, deps.selfCaptures);
        // The browser's own request for this page, as Node's parser received it (names in their case).
        return {
          ...capture,
          browserRequest: { method: request.raw.method, url: request.raw.url, httpVersion: request.raw.httpVersion, rawHeaders: request.raw.rawHeaders },
        };
      } finally {
        capturing--;
      }
    },
  );
}
