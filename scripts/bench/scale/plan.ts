import type { Transport } from "../../../protocol/types.js";
import type { PeriodicCost } from "../idle-window.js";

/**
 * Planning a scale run, all pure: the steps of the ramp, how the generator's clients are spread
 * over threads and loopback source addresses, and what the spawned server needs.
 */

export const GENERATOR = {
  /** One subscriber thread per this many clients at the largest step. */
  clientsPerWorker: 2_500,
  maxWorkers: 8,
  /**
   * Clients bound to one source address. Linux gives each source address its own ephemeral ports
   * (28,232 with the default 32768-60999 range); 2,000 leaves room for the TIME_WAIT sockets an
   * earlier ramp left behind on the same address.
   */
  clientsPerAddress: 2_000,
  /** Connections a thread has in flight at once while ramping, so the server's accept queue never overflows. */
  connectConcurrency: 64,
} as const;

/** Server settings for every scale run (the bench's usual limit lifts come on top, --server-env overrides). */
export const SCALE_SERVER_ENV: Readonly<Record<string, string>> = {
  // Short periods, so that a 10 s idle window holds two of each periodic event per connection.
  LAB_HEARTBEAT_MS: "5000",
  LAB_WS_PING_MS: "5000",
  // Lets `/api/health?gc=1` collect garbage before memory is read.
  NODE_OPTIONS: "--expose-gc",
};

/** 1, 2.5, 5 × 10^k: the ramp's natural steps. */
function series(upTo: number): number[] {
  const out: number[] = [];
  for (let decade = 1; decade <= upTo; decade *= 10) {
    for (const f of [1, 2.5, 5]) {
      const v = f * decade;
      if (Number.isInteger(v) && v <= upTo) out.push(v);
    }
  }
  return out;
}

/** Steps up to `clients`: the 1-2.5-5 series from a tenth of it, then `clients` itself (10,000: 1,000, 2,500, 5,000, 10,000). */
export function planSteps(clients: number): number[] {
  const steps = series(clients).filter((v) => v >= clients / 10 && v < clients);
  return [...steps, clients];
}

/** `--steps 1000,2500,...`: ascending, distinct, positive integers. Null with the reason when the list is not that. */
export function parseSteps(raw: string): number[] | string {
  const parts = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) return "name at least one step";
  const steps: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p) || Number(p) < 1) return `"${p}" is not a positive whole number`;
    steps.push(Number(p));
  }
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) return "steps must ascend";
  }
  return steps;
}

/** Subscriber threads for a ramp whose largest step is `maxClients`; `requested` > 0 is --workers. */
export function workerCountFor(maxClients: number, requested: number): number {
  if (requested > 0) return Math.max(1, Math.min(requested, maxClients));
  return Math.max(1, Math.min(GENERATOR.maxWorkers, Math.ceil(maxClients / GENERATOR.clientsPerWorker)));
}

/**
 * How many clients each thread adds to go from `current` (clients each thread holds) to `target`
 * in total: the threads stay within one client of each other.
 */
export function shareAdded(current: readonly number[], target: number): number[] {
  const held = current.reduce((a, b) => a + b, 0);
  const add = current.map(() => 0);
  for (let left = Math.max(0, target - held); left > 0; left--) {
    let lowest = 0;
    for (let i = 1; i < current.length; i++) {
      if ((current[i] ?? 0) + (add[i] ?? 0) < (current[lowest] ?? 0) + (add[lowest] ?? 0)) lowest = i;
    }
    add[lowest] = (add[lowest] ?? 0) + 1;
  }
  return add;
}

/** The n-th loopback source address the generator may use: 127.0.0.2 to 127.0.0.254 (the server has 127.0.0.1). */
export function sourceAddress(n: number): string {
  return `127.0.0.${2 + (((n % 253) + 253) % 253)}`;
}

/**
 * Each thread's source addresses for one transport's ramp. Every transport takes the next block of
 * addresses, so the TIME_WAIT sockets one ramp leaves on its addresses never meet the next ramp.
 */
export function planAddresses(maxClients: number, workers: number, transportIndex: number, perAddress: number = GENERATOR.clientsPerAddress): string[][] {
  const perWorker = Math.ceil(maxClients / workers);
  const each = Math.max(1, Math.ceil(perWorker / perAddress));
  const first = transportIndex * each * workers;
  return Array.from({ length: workers }, (_, w) => Array.from({ length: each }, (_, a) => sourceAddress(first + w * each + a)));
}

/** Addresses one transport's ramp uses in all. */
export function addressesPerTransport(maxClients: number, workers: number, perAddress: number = GENERATOR.clientsPerAddress): number {
  return workers * Math.max(1, Math.ceil(Math.ceil(maxClients / workers) / perAddress));
}

/** The source address of a thread's k-th client (0-based): `perAddress` clients on each, in order. */
export function addressOf(addresses: readonly string[], k: number, perAddress: number = GENERATOR.clientsPerAddress): string {
  const index = Math.min(addresses.length - 1, Math.floor(k / perAddress));
  return addresses[index] ?? "127.0.0.1";
}

/**
 * Twice the longest periodic cost among the run's transports: with every period the same length
 * (5 s by default), each connection then has two of its periodic events in the window whatever the
 * phase of its timer. At least 2 s, so a run of cheap periods still measures something.
 */
export function idleWindowMs(costs: readonly PeriodicCost[], transports: readonly Transport[]): number {
  const longest = costs.filter((c) => c.transports.some((t) => (transports as readonly string[]).includes(t))).reduce((a, c) => Math.max(a, c.periodMs), 0);
  return Math.max(2_000, 2 * longest);
}

/**
 * File descriptors one process needs for `clients` connections: one per connection (the generator
 * and the server each hold one end), plus the publisher's pool, stats requests, worker threads,
 * the module loader and stdio.
 */
export function fdNeeded(clients: number): number {
  return clients + 256;
}

/** A step this broken ends the transport's ramp: larger steps would only break harder and take long. */
export const STOP_SHARE = 0.1;

/** Why the ramp stops after this step, or null: over a tenth of the clients unconnected, or of the deliveries lost. */
export function stopReason(step: { clients: number; connect: { connected: number }; latency: { expected: number; lost: number } }): string | null {
  const missing = step.clients - step.connect.connected;
  if (missing > step.clients * STOP_SHARE) return `${missing.toLocaleString("en-US")} of ${step.clients.toLocaleString("en-US")} subscribers did not connect`;
  if (step.latency.expected > 0 && step.latency.lost > step.latency.expected * STOP_SHARE) {
    return `${step.latency.lost.toLocaleString("en-US")} of ${step.latency.expected.toLocaleString("en-US")} deliveries lost`;
  }
  return null;
}
