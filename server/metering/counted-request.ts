import type { HttpVersion, Metered } from "../../protocol/types.js";
import type { Stats } from "./stats.js";
import type { ByteCounter, ByteOwner } from "./wire-ledger.js";

/** One request as the request gate sees it: an HTTP/1.1 request on a socket, or an HTTP/2 stream. */
export interface MeteredRequest {
  /** Its route is known: count it for `transport` (null: not metered) and `client`. Once. */
  identify(transport: Metered | null, client: string | undefined): void;
  /** Its response has been handed to the socket in full, or will never be. Idempotent. */
  end(): void;
  /** Told of every byte credited once identified, while its client is watched (client-events.ts); else null. */
  watch: ByteOwner | null;
}

/**
 * What HTTP/1.1 requests and HTTP/2 streams share: bytes are credited to a request before its route
 * is known (its head is read before it is routed), so they wait in `held` until `identify` says
 * which transport and client they count for; a request identified as not metered drops them.
 */
export class CountedRequest implements MeteredRequest, ByteOwner {
  /** undefined until identified: bytes meanwhile wait in `held`. */
  transport: Metered | null | undefined = undefined;
  client: string | undefined = undefined;
  ended = false;
  watch: ByteOwner | null = null;
  private heldIn = 0;
  private heldOut = 0;

  constructor(
    private readonly stats: Stats,
    readonly version: HttpVersion,
    readonly tls: boolean,
    /** The first request of its TCP connection: the connection counts for its transport. */
    readonly firstOnConnection: boolean,
  ) {}

  identify(transport: Metered | null, client: string | undefined): void {
    if (this.transport !== undefined) return;
    this.transport = transport;
    this.client = client;
    if (transport === null) return;
    this.stats.addRequest(transport, client, this.version, this.tls);
    if (this.firstOnConnection) this.stats.add(transport, client, "connections");
    if (!this.ended) this.stats.add(transport, client, "open");
    const { heldIn, heldOut } = this;
    this.heldIn = 0;
    this.heldOut = 0;
    this.credit("bytesIn", heldIn);
    this.credit("bytesOut", heldOut);
  }

  end(): void {
    this.markEnded();
  }

  /** No longer open: counted once, whoever notices first (the response, the stream, the socket). */
  markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.transport != null) this.stats.add(this.transport, this.client, "open", -1);
  }

  credit(counter: ByteCounter, amount: number): void {
    if (amount === 0) return;
    if (this.transport === undefined) {
      if (counter === "bytesIn") this.heldIn += amount;
      else this.heldOut += amount;
    } else if (this.transport !== null) {
      this.stats.add(this.transport, this.client, counter, amount);
      if (this.watch !== null) this.watch.credit(counter, amount);
    }
  }
}
