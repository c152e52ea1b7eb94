import type { Transport } from "../../../protocol/types.js";
import type { TransportRun } from "../results.js";

/** One instance's share of a cluster phase. */
export interface InstanceFigures {
  name: string;
  /** CPU over the measured window (user+sys), from the bench's probe in that instance. */
  cpuMs: number | null;
  /** The most connections of the transport it held open at once during the phase. */
  peakOpen: number;
}

/**
 * A `--cluster N` run: its `transports` are the phases through N instances sharing Redis behind
 * HAProxy; `single` the same phases through HAProxy to one instance with its in-memory feed, run
 * alternately with them, so the difference is what the Redis hop costs.
 */
export interface ClusterBenchResults {
  instances: string[];
  single: TransportRun[];
  /** Per transport, per repeat, per instance. */
  perInstance: { transport: Transport; repeats: InstanceFigures[][] }[];
}
