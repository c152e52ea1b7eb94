import type { Transport } from "../../../protocol/types.js";
import type { ClientCounts, ThreadLoad } from "../results.js";
import type { WindowCounts } from "./tally.js";

/** Messages between the scale ramp's main thread and its subscriber threads. */

export interface ScaleWorkerInit {
  /** The .ts module worker-boot.mjs loads. */
  entry: string;
  name: string;
  transport: Transport;
  origin: string;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  /** This thread's loopback source addresses, filled `clientsPerAddress` clients at a time. */
  addresses: string[];
  clientsPerAddress: number;
  connectConcurrency: number;
}

/** Failed attempts (each retried by the client), by error code. */
export interface ErrorTally {
  count: number;
  codes: Record<string, number>;
  samples: string[];
}

export type ToScaleWorker =
  /** Start `count` more subscribers after cursor `after`; answer once they are all connected or `deadlineMs` (epoch) passed. */
  | { type: "add"; count: number; after: number; deadlineMs: number }
  /** Open a window: `count` measured messages scheduled from `startMs` on (0 for an idle window). */
  | { type: "window-start"; startMs: number; count: number }
  | { type: "window-end" }
  | { type: "stop" };

export type FromScaleWorker =
  | { type: "added"; connected: number; errors: ErrorTally }
  | { type: "progress"; connected: number; warmup: number; delivered: number }
  | { type: "window-started" }
  | { type: "window-ended"; counts: WindowCounts; load: ThreadLoad; errors: ErrorTally; sockets: ClientCounts }
  | { type: "stopped" }
  | { type: "fatal"; message: string };
