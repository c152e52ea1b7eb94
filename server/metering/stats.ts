import { METERED, type CountersByTransport, type Metered, type TransportCounters } from "../../protocol/types.js";

export type CounterName = keyof TransportCounters;

export function emptyCounters(): TransportCounters {
  return { open: 0, connections: 0, requests: 0, delivered: 0, bytesIn: 0, bytesOut: 0, disconnects: 0, cutoffs: 0, refused: 0, clientErrors: 0 };
}

export function emptyByTransport(): CountersByTransport {
  return Object.fromEntries(METERED.map((t) => [t, emptyCounters()])) as CountersByTransport;
}

/**
 * Counters per transport, and the same per client id for the clients that named themselves.
 * The per-client table keeps the most recently active `maxClients`, so a stream of new ids cannot
 * grow memory without bound.
 */
export class Stats {
  readonly transports = emptyByTransport();
  private readonly clients = new Map<string, CountersByTransport>();
  private readonly started = Date.now();

  /** `unmetered`: a client id whose traffic is not counted at all (the server's own wire captures). */
  constructor(
    private readonly maxClients = 1_000,
    private readonly unmetered?: string,
  ) {}

  private readonly refreshers = new Set<() => void>();

  /** `refresh` calls `fold`: for counts kept elsewhere (per subscription) and folded in when read. */
  addRefresher(fold: () => void): void {
    this.refreshers.add(fold);
  }

  /** Bring every count kept elsewhere up to date; call before reading the counters. */
  refresh(): void {
    for (const fold of this.refreshers) fold();
  }

  add(transport: Metered, client: string | undefined, name: CounterName, amount = 1): void {
    if (amount === 0 || (client !== undefined && client === this.unmetered)) return;
    this.transports[transport][name] += amount;
    if (client !== undefined) this.clientCounters(client)[transport][name] += amount;
  }

  client(id: string): CountersByTransport | undefined {
    return this.clients.get(id);
  }

  get uptimeMs(): number {
    return Date.now() - this.started;
  }

  private clientCounters(id: string): CountersByTransport {
    let counters = this.clients.get(id);
    if (counters === undefined) {
      counters = emptyByTransport();
      if (this.clients.size >= this.maxClients) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    } else {
      this.clients.delete(id); // re-insert: Map order is the recency order
    }
    this.clients.set(id, counters);
    return counters;
  }
}
