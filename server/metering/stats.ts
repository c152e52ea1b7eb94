import { METERED, type ConnectionCounts, type CountersByTransport, type HttpVersion, type Metered, type TransportCounters } from "../../protocol/types.js";

/** The counters that are plain numbers (requests are counted with their version by `addRequest`). */
export type CounterName = Exclude<keyof TransportCounters, "versions" | "tls" | "requests">;
/** Every counter of a transport that is one number. */
export type NumericCounter = Exclude<keyof TransportCounters, "versions">;

export function emptyCounters(): TransportCounters {
  return {
    open: 0,
    connections: 0,
    requests: 0,
    delivered: 0,
    bytesIn: 0,
    bytesOut: 0,
    disconnects: 0,
    cutoffs: 0,
    refused: 0,
    clientErrors: 0,
    versions: { "1.1": 0, "2": 0 },
    tls: 0,
  };
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
  /** Kept by the meter as connections open and close; not per transport (a connection serves many). */
  readonly connections: ConnectionCounts = { http1: { open: 0, tls: 0 }, h2: { open: 0, streams: 0 } };
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

  /** One request (an HTTP/1.1 request, an HTTP/2 stream, a WebSocket's upgrade), with how it came. */
  addRequest(transport: Metered, client: string | undefined, version: HttpVersion, tls: boolean): void {
    if (client !== undefined && client === this.unmetered) return;
    countRequest(this.transports[transport], version, tls);
    if (client !== undefined) countRequest(this.clientCounters(client)[transport], version, tls);
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

function countRequest(counters: TransportCounters, version: HttpVersion, tls: boolean): void {
  counters.requests += 1;
  counters.versions[version] += 1;
  if (tls) counters.tls += 1;
}
