import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Registry } from "prom-client";
import { HTTP_VERSIONS, METERED, type StatsResponse } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { clientQuery } from "../schemas.js";
import { emptyByTransport, type NumericCounter, type Stats } from "./stats.js";
import type { Feed } from "../feed.js";
import { compressionStats } from "../compression.js";
import { registerRedisMetrics, withRedis } from "../redis-metrics.js";

/** `GET /api/stats` (JSON) and `GET /metrics` (Prometheus): two views of the same counters. */
export async function statsPlugin(app: FastifyInstance, { feed, stats, meter, config }: LabDeps): Promise<void> {
  app.get<{ Querystring: { client?: string } }>("/api/stats", { schema: { querystring: clientQuery } }, async (request, reply) => {
    meter.flushAll();
    stats.refresh();
    const body: StatsResponse = {
      uptimeMs: stats.uptimeMs,
      feed: withRedis({ lastId: feed.lastId, oldestId: feed.oldestId, retained: feed.retained, subscribers: feed.subscriberCount }, feed),
      transports: stats.transports,
      connections: stats.connections,
      compression: compressionStats(config, stats),
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

const COUNTERS: { name: NumericCounter; metric: string; help: string }[] = [
  { name: "connections", metric: "lab_tcp_connections_total", help: "TCP connections whose first request was for the transport" },
  { name: "requests", metric: "lab_http_requests_total", help: "HTTP requests (a WebSocket counts its upgrade, an HTTP/2 stream is one)" },
  { name: "tls", metric: "lab_tls_requests_total", help: "HTTP requests that came over TLS (HTTP/1.1 on the TLS port, every HTTP/2 stream)" },
  { name: "delivered", metric: "lab_messages_delivered_total", help: "Messages written to subscribers" },
  { name: "bytesIn", metric: "lab_bytes_received_total", help: "Bytes read from the TCP socket (TLS records and handshake included)" },
  { name: "bytesOut", metric: "lab_bytes_sent_total", help: "Bytes written to the TCP socket (TLS records and handshake included)" },
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
  new Counter({
    name: "lab_http_version_requests_total",
    help: "HTTP requests by the HTTP version they came over",
    labelNames: ["transport", "http_version"],
    registers: [registry],
    collect() {
      this.reset();
      for (const transport of METERED) {
        for (const version of HTTP_VERSIONS) this.inc({ transport, http_version: version }, stats.transports[transport].versions[version]);
      }
    },
  });
  new Gauge({
    name: "lab_tcp_connections_open",
    help: "TCP connections open now, by the HTTP version they carry and whether over TLS",
    labelNames: ["http_version", "tls"],
    registers: [registry],
    collect() {
      const { http1, h2 } = stats.connections;
      this.set({ http_version: "1.1", tls: "false" }, http1.open - http1.tls);
      this.set({ http_version: "1.1", tls: "true" }, http1.tls);
      this.set({ http_version: "2", tls: "true" }, h2.open);
    },
  });
  new Gauge({
    name: "lab_http2_streams_open",
    help: "Streams open now on the HTTP/2 connections",
    registers: [registry],
    collect() {
      this.set(stats.connections.h2.streams);
    },
  });
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
  if (feed.redisStatus() !== null) registerRedisMetrics(registry, feed);
  return registry;
}
