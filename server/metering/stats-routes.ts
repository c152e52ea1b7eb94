import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Registry } from "prom-client";
import { METERED, type StatsResponse } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { clientQuery } from "../schemas.js";
import { emptyByTransport, type CounterName, type Stats } from "./stats.js";
import type { Feed } from "../feed.js";

/** `GET /api/stats` (JSON) and `GET /metrics` (Prometheus): two views of the same counters. */
export async function statsPlugin(app: FastifyInstance, { feed, stats, meter }: LabDeps): Promise<void> {
  app.get<{ Querystring: { client?: string } }>("/api/stats", { schema: { querystring: clientQuery } }, async (request, reply) => {
    meter.flushAll();
    stats.refresh();
    const body: StatsResponse = {
      uptimeMs: stats.uptimeMs,
      feed: { lastId: feed.lastId, oldestId: feed.oldestId, retained: feed.retained, subscribers: feed.subscriberCount },
      transports: stats.transports,
    };
    const id = request.query.client;
    if (id !== undefined) {
      const counters = stats.client(id);
      body.client = { id, transports: counters ?? emptyByTransport() };
    }
    return reply.header("cache-control", "no-store").send(body);
  });

  const registry = buildRegistry(feed, stats);
  app.get("/metrics", async (_request, reply) => {
    meter.flushAll();
    stats.refresh();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

const COUNTERS: { name: CounterName; metric: string; help: string }[] = [
  { name: "connections", metric: "lab_tcp_connections_total", help: "TCP connections whose first request was for the transport" },
  { name: "requests", metric: "lab_http_requests_total", help: "HTTP requests (a WebSocket counts its upgrade)" },
  { name: "delivered", metric: "lab_messages_delivered_total", help: "Messages written to subscribers" },
  { name: "bytesIn", metric: "lab_bytes_received_total", help: "Bytes read from the TCP socket" },
  { name: "bytesOut", metric: "lab_bytes_sent_total", help: "Bytes written to the TCP socket" },
  { name: "disconnects", metric: "lab_disconnects_total", help: "Held connections the client closed or lost" },
  { name: "cutoffs", metric: "lab_slow_consumer_cutoffs_total", help: "Subscribers cut off for not reading" },
  { name: "refused", metric: "lab_refused_total", help: "Requests refused by a connection or rate limit" },
  { name: "clientErrors", metric: "lab_client_errors_total", help: "Client mistakes: 4xx answers other than limits, refused or invalid WebSocket frames" },
];

/** A registry of its own per app, read from the stats at scrape time. */
function buildRegistry(feed: Feed, stats: Stats): Registry {
  const registry = new Registry();
  new Gauge({
    name: "lab_open_connections",
    help: "Requests or connections in progress (held long polls, streams, SSE, WebSockets)",
    labelNames: ["transport"],
    registers: [registry],
    collect() {
      for (const transport of METERED) this.set({ transport }, stats.transports[transport].open);
    },
  });
  for (const { name, metric, help } of COUNTERS) {
    new Counter({
      name: metric,
      help,
      labelNames: ["transport"],
      registers: [registry],
      collect() {
        this.reset();
        for (const transport of METERED) this.inc({ transport }, stats.transports[transport][name]);
      },
    });
  }
  new Gauge({
    name: "lab_feed_subscribers",
    help: "Live feed subscriptions (held long polls, streams, SSE, WebSockets)",
    registers: [registry],
    collect() {
      this.set(feed.subscriberCount);
    },
  });
  new Gauge({
    name: "lab_feed_last_id",
    help: "Id of the newest message",
    registers: [registry],
    collect() {
      this.set(feed.lastId);
    },
  });
  return registry;
}
