import type { BenchTransport } from "../transports.js";

/** What a failover phase does to the cluster mid-run. */
export type Fault = "instance" | "redis";

/** One transport's subscribers through the load balancer while one fault happens. */
export interface FailoverPhase {
  transport: BenchTransport;
  fault: Fault;
  clients: number;
  /** The fault, in ms after publishing started; the phase published for `durationMs`. */
  faultAtMs: number;
  durationMs: number;
  /** `instance`: the killed instance (SIGKILL) and how long it stayed down; `redis`: how long Redis was away (stopped, then started on its append-only file). */
  downMs: number;
  victim?: string;
  /** The transport's open connections on each instance just before the fault (from each one's /api/stats). */
  openBefore: Record<string, number>;
  published: {
    /** Publishes answered 201: what must not be lost. */
    acked: number;
    /** Publishes refused (503 while Redis was away) or failed (the answer lost with a killed instance). */
    refused: number;
    /** Messages delivered that no publish had acknowledged (stored, but the answer was lost): delivered, as they must be, and not counted as duplicates. */
    unackedDelivered: number;
  };
  delivery: {
    /** Acknowledged messages times subscribers. */
    expected: number;
    /** Acknowledged messages a subscriber never received (after the drain). */
    lost: number;
    /** Receipts of an id the subscriber already had. */
    duplicated: number;
    /** Receipts of an id below one the subscriber already had. */
    outOfOrder: number;
    resets: number;
    /** Requests or connections the subscribers made again after an error or an end. */
    reconnects: number;
  };
  /** The longest time without an acknowledged publish (normally one publish interval). */
  publishGapMs: number;
  /** Each subscriber's longest time between two receipts, median and largest over the subscribers (normally the publish interval, or a poll's period). */
  deliveryGapMs: { p50: number; max: number } | null;
  /**
   * From the end of the outage (the kill, after which the balancer routes around the dead
   * instance; Redis back) until each subscriber received the first message acknowledged after it:
   * median and slowest subscriber.
   */
  recoveryMs: { p50: number; max: number } | null;
}

export interface FailoverResults {
  instances: string[];
  /** Redis's persistence, which decides what a restart keeps. */
  redisPersistence: string;
  phases: FailoverPhase[];
}
