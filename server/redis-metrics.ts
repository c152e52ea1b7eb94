import { Counter, Gauge, type Registry } from "prom-client";
import type { RedisStatus } from "../protocol/types.js";
import type { Feed } from "./feed.js";

/** `/api/stats`'s feed section, with the shared log's status when there is one. */
export function withRedis<T extends object>(section: T, feed: Feed): T & { redis?: RedisStatus } {
  const redis = feed.redisStatus();
  return redis === null ? section : { ...section, redis };
}

type Counted = "gapFills" | "gapFilledMessages" | "discontinuities" | "publishFailures";

const COUNTERS: { name: Counted; metric: string; help: string }[] = [
  { name: "gapFills", metric: "lab_redis_gap_fills_total", help: "Times this instance, reconnected to Redis, read from the log messages published meanwhile" },
  { name: "gapFilledMessages", metric: "lab_redis_gap_filled_messages_total", help: "Messages read by those gap fills" },
  {
    name: "discontinuities",
    metric: "lab_redis_discontinuities_total",
    help: "Times the log no longer held what this instance needed (trimmed, or Redis lost its data): history restarted, held connections dropped",
  },
  { name: "publishFailures", metric: "lab_redis_publish_failures_total", help: "Publishes refused (503, error frame) because Redis did not store them" },
];

/** The shared log's gauges and counters on `/metrics`, read from the feed at scrape time (only with `LAB_REDIS_URL`). */
export function registerRedisMetrics(registry: Registry, feed: Feed): void {
  const status = (): RedisStatus | null => feed.redisStatus();
  new Gauge({
    name: "lab_redis_connected",
    help: "1 when this instance reaches Redis (both its connections), else 0",
    registers: [registry],
    collect() {
      this.set(status()?.connected === true ? 1 : 0);
    },
  });
  new Gauge({
    name: "lab_redis_lag_messages",
    help: "Messages in the shared log this instance has not applied yet",
    registers: [registry],
    collect() {
      this.set(status()?.lagMessages ?? 0);
    },
  });
  for (const { name, metric, help } of COUNTERS) {
    new Counter({
      name: metric,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(status()?.[name] ?? 0);
      },
    });
  }
}
