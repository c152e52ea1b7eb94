import type { Socket } from "node:net";
import type { Metered } from "../../protocol/types.js";
import type { Stats } from "./stats.js";

/** How many bytes a request occupies on the wire, as far as its parsed head tells. */
export interface RequestSize {
  /** Request line, header lines and the empty line that ends them. */
  head: number;
  /**
   * Its body's bytes: the Content-Length (0 without one); "chunked" when the client did not say;
   * "rest" for an upgrade, after which every byte on the socket is the new protocol's.
   */
  body: number | "chunked" | "rest";
}

/** One request on a socket, from its parse to the end of its response. */
export interface MeteredRequest {
  /** Its route is known: count it for `transport` (null: not metered) and `client`. Once. */
  identify(transport: Metered | null, client: string | undefined): void;
  /** Its response has been handed to the socket in full, or will never be. Idempotent. */
  end(): void;
}

class Claim implements MeteredRequest {
  /** undefined until identified: bytes meanwhile wait in `held`. */
  transport: Metered | null | undefined = undefined;
  client: string | undefined = undefined;
  ended = false;
  readonly held = { bytesIn: 0, bytesOut: 0 };

  constructor(
    private readonly meter: SocketMeter,
    readonly socket: Socket,
    /** Bytes of the request still to come off the wire; Infinity while unknown (chunked, upgrade). */
    public unread: number,
    readonly upgrade: boolean,
    readonly firstOnSocket: boolean,
  ) {}

  identify(transport: Metered | null, client: string | undefined): void {
    this.meter.identify(this, transport, client);
  }

  end(): void {
    this.meter.end(this);
  }
}

interface Tracked {
  /** socket.bytesRead / bytesWritten already attributed. */
  read: number;
  written: number;
  /** Bytes read beyond every request parsed so far: the start of the next one. */
  spare: number;
  /** Requests whose bytes are still arriving, in the order they were parsed. */
  readers: Claim[];
  /** Responses not yet handed to the socket in full, in request order: the first is being written. */
  writers: Claim[];
  /** The newest request on the socket. */
  last: Claim | null;
}

/**
 * Counts bytes where they really pass: Node's own socket counters (request lines, headers, chunk
 * framing, bodies, WebSocket frames and handshakes included), shared among the requests of a socket.
 * Bytes out are bytes handed to the operating system; on a connection that is cut, some of them
 * (those still in the kernel's send buffer) may never reach the client.
 *
 * Why this attribution: HTTP/1.1 lets a client pipeline requests on one keep-alive socket, and
 * Node parses each as soon as it arrives but answers them strictly in request order, holding a
 * later response in memory until the earlier ones have ended. So a socket carries a queue of
 * requests in flight, and its two directions are shared out differently:
 * - bytes read belong to the request they are part of. A request's size is known once its head is
 *   parsed (the head's own length plus its Content-Length), so the bytes read are handed out in
 *   parse order, each request taking exactly its size; bytes beyond every parsed request are the
 *   start of the next one and wait for it. A chunked body's size is not known in advance: it takes
 *   what arrives until the next request starts. After an upgrade, every byte is the WebSocket's.
 * - bytes written belong to the response being written, the first of the queue: only it reaches
 *   the socket. It leaves the queue once its last byte is handed to the socket; the next one then
 *   starts writing.
 * Bytes that no request accounts for (an unparseable or unfinished request, an error Node itself
 * writes) go to the socket's newest request, if it has one. Totals per socket are therefore exact
 * whatever happens; the split between pipelined requests is exact whenever their heads are as Node
 * reports them (`name: value` header lines, as every browser and HTTP library writes them).
 *
 * A request is `open` from its parse until its response is handed over in full, or its socket
 * closes: a WebSocket, or a request queued behind a held stream, stays open until then. Open
 * sockets are read live at every snapshot, so the dashboard sees held connections grow.
 */
export class SocketMeter {
  private readonly sockets = new Map<Socket, Tracked>();

  constructor(private readonly stats: Stats) {}

  /** A request has been parsed on `socket` (its head is complete): it joins the socket's queue. */
  claim(socket: Socket, size: RequestSize): MeteredRequest {
    let tracked = this.sockets.get(socket);
    if (tracked === undefined) {
      // Counters start at 0, not at the socket's current count: the first head is already read.
      tracked = { read: 0, written: 0, spare: 0, readers: [], writers: [], last: null };
      this.sockets.set(socket, tracked);
      socket.once("close", () => this.forget(socket));
    }
    const unread = typeof size.body === "number" ? size.head + size.body : Number.POSITIVE_INFINITY;
    const claim = new Claim(this, socket, unread, size.body === "rest", tracked.last === null);
    this.readInto(socket, tracked, size.head);
    tracked.readers.push(claim);
    tracked.writers.push(claim);
    tracked.last = claim;
    this.shareRead(tracked, 0);
    return claim;
  }

  /** Bring every open socket's counters up to date (before reading stats). */
  flushAll(): void {
    for (const [socket, tracked] of this.sockets) {
      this.readInto(socket, tracked, 0);
      this.writeInto(socket, tracked);
    }
  }

  /** @internal Claim.identify */
  identify(claim: Claim, transport: Metered | null, client: string | undefined): void {
    if (claim.transport !== undefined) return;
    claim.transport = transport;
    claim.client = client;
    if (transport === null) return;
    this.stats.add(transport, client, "requests");
    if (claim.firstOnSocket) this.stats.add(transport, client, "connections");
    if (!claim.ended) this.stats.add(transport, client, "open");
    this.credit(claim, "bytesIn", claim.held.bytesIn);
    this.credit(claim, "bytesOut", claim.held.bytesOut);
  }

  /** @internal Claim.end */
  end(claim: Claim): void {
    if (claim.ended) return;
    const tracked = this.sockets.get(claim.socket);
    if (tracked !== undefined) {
      // Everything written so far is the queue head's, which is this response in Node's order.
      this.writeInto(claim.socket, tracked);
      const index = tracked.writers.indexOf(claim);
      if (index !== -1) tracked.writers.splice(index, 1);
    }
    claim.ended = true;
    if (claim.transport != null) this.stats.add(claim.transport, claim.client, "open", -1);
  }

  /** Bytes read since the last look: to the requests they belong to, in parse order. */
  private readInto(socket: Socket, tracked: Tracked, nextHead: number): void {
    const read = socket.bytesRead;
    tracked.spare += read - tracked.read;
    tracked.read = read;
    this.shareRead(tracked, nextHead);
  }

  /**
   * `nextHead` > 0: a new request's head of that size is among the spare bytes. A chunked request
   * before it then ends, taking the spare bytes but that head (the head is the last thing read
   * unless the client pipelined further, in which case the chunked body is undercounted).
   */
  private shareRead(tracked: Tracked, nextHead: number): void {
    while (tracked.readers.length > 0) {
      const reader = tracked.readers[0] as Claim;
      const open = reader.unread === Number.POSITIVE_INFINITY;
      if (open && nextHead > 0 && !reader.upgrade) {
        this.credit(reader, "bytesIn", Math.max(0, tracked.spare - nextHead));
        tracked.spare = Math.min(tracked.spare, nextHead);
        tracked.readers.shift();
        continue;
      }
      const take = Math.min(tracked.spare, reader.unread);
      this.credit(reader, "bytesIn", take);
      tracked.spare -= take;
      reader.unread -= take;
      if (reader.unread > 0) return;
      tracked.readers.shift();
    }
  }

  /** Bytes written since the last look: to the response being written. */
  private writeInto(socket: Socket, tracked: Tracked): void {
    // Bytes handed to the operating system: Node's bytesWritten also counts what still waits in
    // Node's own buffer, which a cut (slow consumer) discards, so that part is left out until it
    // leaves. Kept monotonic, as a counter must be, whatever a destroyed socket reports.
    const written = Math.max(tracked.written, (socket.bytesWritten ?? 0) - socket.writableLength);
    const owner = tracked.writers[0] ?? tracked.last;
    if (owner !== null) this.credit(owner, "bytesOut", written - tracked.written);
    tracked.written = written;
  }

  private credit(claim: Claim, counter: "bytesIn" | "bytesOut", amount: number): void {
    if (amount === 0) return;
    if (claim.transport === undefined) claim.held[counter] += amount;
    else if (claim.transport !== null) this.stats.add(claim.transport, claim.client, counter, amount);
  }

  /** The socket closed: its last bytes are counted and every request still on it ends. */
  private forget(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (tracked === undefined) return;
    this.readInto(socket, tracked, 0);
    this.writeInto(socket, tracked);
    if (tracked.last !== null) this.credit(tracked.last, "bytesIn", tracked.spare);
    this.sockets.delete(socket);
    for (const claim of tracked.writers) {
      claim.ended = true;
      if (claim.transport != null) this.stats.add(claim.transport, claim.client, "open", -1);
    }
  }
}
