import type { LabConfig } from "./config.js";
import type { Feed } from "./feed.js";
import type { ClientEvents } from "./metering/client-events.js";
import type { SelfCaptures } from "./metering/self-capture.js";
import type { SocketMeter } from "./metering/socket-meter.js";
import type { Stats } from "./metering/stats.js";

/** What every route plugin is handed: the one feed, and the one set of counters. */
export interface LabDeps {
  config: LabConfig;
  feed: Feed;
  stats: Stats;
  meter: SocketMeter;
  /** The per-client event feed for the dashboard's network timeline (opt-in, bounded). */
  events: ClientEvents;
  /** The wire view's requests to this server itself, kept out of every figure. */
  selfCaptures: SelfCaptures;
  /** True from the first moment of shutdown (see shutdown-gate.ts); read it live, never copy it. */
  closing: boolean;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The lab's feed and counters, for tests and tools that hold the app. */
    lab: LabDeps;
  }
}
