import type { Socket } from "node:net";
import { CountedRequest, type MeteredRequest } from "./counted-request.js";
import { type Http2Plaintext, Http2ConnectionMeter, type Http2StreamLike } from "./h2-meter.js";
import type { Stats } from "./stats.js";
import { type ByteCounter, handedOver, WireLedger } from "./wire-ledger.js";

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

class Claim extends CountedRequest {
  constructor(
    private readonly meter: SocketMeter,
    stats: Stats,
    readonly socket: Socket,
    /** Bytes of the request still to come off the wire; Infinity while unknown (chunked, upgrade). */
    public unread: number,
    readonly upgrade: boolean,
    tls: boolean,
    firstOnSocket: boolean,
  ) {
    super(stats, "1.1", tls, firstOnSocket);
  }

  override end(): void {
    this.meter.end(this);
  }
}

interface Tracked {
  /** The TCP socket under `socket`: itself, or the socket under TLS, whose counters are the wire's. */
  wire: Socket;
  /** Plaintext to wire bytes, each direction; null without TLS, where the two are the same. */
  inLedger: WireLedger | null;
  outLedger: WireLedger | null;
  /** socket.bytesRead / bytesWritten (plaintext) already attributed. */
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
  /** Over TLS: the bytes read are to be settled later in this turn (settleReadSoon). */
  settleScheduled: boolean;
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
 *
 * Over TLS the requests are parsed from the TLS socket's plaintext, but what crosses the network
 * is the TCP socket's bytes under it: records (5-byte headers, authentication tags), the handshake,
 * alerts. The plaintext is shared out as above and paid from the TCP counters (wire-ledger.ts);
 * the difference, the TLS overhead, goes to the request being read, or written, at that moment.
 * So a connection's first request carries the handshake, as it carries the TCP connection, and
 * a socket's totals are its TCP socket's counters exactly.
 *
 * HTTP/2 connections (h2-meter.ts) are metered here too, per stream.
 */
export class SocketMeter {
  private readonly sockets = new Map<Socket, Tracked>();
  private readonly http2 = new Map<object, Http2ConnectionMeter>();

  constructor(private readonly stats: Stats) {}

  /**
   * A connection that will carry HTTP/1.1 was accepted (plain, or a TLS socket that chose it by
   * ALPN): it counts as open until it closes, whatever it carries, a WebSocket included.
   */
  connectionOpened(socket: Socket, tls: boolean): void {
    const counts = this.stats.connections.http1;
    counts.open += 1;
    if (tls) counts.tls += 1;
    // `on`, not `once`: a socket closes once, and `once` keeps a wrapper per connection.
    socket.on("close", () => {
      counts.open -= 1;
      if (tls) counts.tls -= 1;
    });
  }

  /**
   * A request has been parsed on `socket` (its head is complete): it joins the socket's queue.
   * `wire`: the TCP socket under `socket` when `socket` is a TLS socket.
   */
  claim(socket: Socket, size: RequestSize, wire: Socket = socket): MeteredRequest {
    let tracked = this.sockets.get(socket);
    if (tracked === undefined) {
      const tls = wire !== socket;
      // Counters start at 0, not at the socket's current count: the first head is already read
      // (and over TLS the handshake: both go to the first request).
      tracked = {
        wire,
        inLedger: tls ? new WireLedger("bytesIn") : null,
        outLedger: tls ? new WireLedger("bytesOut") : null,
        read: 0,
        written: 0,
        spare: 0,
        readers: [],
        writers: [],
        last: null,
        settleScheduled: false,
      };
      this.sockets.set(socket, tracked);
      socket.on("close", () => this.forget(socket));
    }
    const unread = typeof size.body === "number" ? size.head + size.body : Number.POSITIVE_INFINITY;
    const claim = new Claim(this, this.stats, socket, unread, size.body === "rest", tracked.inLedger !== null, tracked.last === null);
    this.readInto(socket, tracked, size.head);
    tracked.readers.push(claim);
    tracked.writers.push(claim);
    tracked.last = claim;
    this.shareRead(tracked, 0);
    if (tracked.inLedger !== null) this.settleReadSoon(socket, tracked);
    return claim;
  }

  /**
   * An HTTP/2 connection: `plaintext` is its stream of frames (both directions, before the
   * session reads them), `tcp` the socket under its TLS.
   */
  watchHttp2(plaintext: Http2Plaintext, tcp: Socket): void {
    const connection = new Http2ConnectionMeter(this.stats, tcp);
    this.http2.set(plaintext, connection);
    plaintext.onData = (direction, chunk) => connection.data(direction, chunk);
    // The TCP socket's close, not the plaintext's: only then are its counters final.
    tcp.once("close", () => {
      connection.close();
      this.http2.delete(plaintext);
    });
  }

  /** The request on `stream` of the HTTP/2 connection `plaintext` (watched by `watchHttp2`), if it is watched. */
  claimStream(plaintext: object, stream: Http2StreamLike): MeteredRequest | undefined {
    return this.http2.get(plaintext)?.claim(stream);
  }

  /** Bring every open connection's counters up to date (before reading stats). */
  flushAll(): void {
    for (const [socket, tracked] of this.sockets) {
      this.readInto(socket, tracked, 0);
      this.settleRead(tracked);
      this.writeInto(socket, tracked);
    }
    for (const connection of this.http2.values()) connection.flush();
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
    claim.markEnded();
  }

  /** Bytes read since the last look: to the requests they belong to, in parse order. */
  private readInto(socket: Socket, tracked: Tracked, nextHead: number): void {
    const read = socket.bytesRead;
    tracked.spare += read - tracked.read;
    tracked.read = read;
    this.shareRead(tracked, nextHead);
  }

  /**
   * Over TLS, once the bytes read so far have all been decrypted and parsed. TLS hands over one
   * record's plaintext at a time, and Node parses each before the next is decrypted, so when a
   * request is parsed the TCP count may already include the records of the requests after it:
   * settled then, their bytes would count as this request's overhead and theirs would be paid from
   * later reads. After the I/O phase of this turn every record read is decrypted.
   */
  private settleReadSoon(socket: Socket, tracked: Tracked): void {
    if (tracked.settleScheduled) return;
    tracked.settleScheduled = true;
    setImmediate(() => {
      tracked.settleScheduled = false;
      if (this.sockets.get(socket) === tracked) this.settleRead(tracked);
    });
  }

  /**
   * Over TLS: pay the plaintext shares from the TCP socket's count. Spare bytes (the start of a
   * request not parsed yet) are no one's yet: the records that carried them are left for that
   * request to pay, rather than counted now as overhead of the request before it.
   */
  private settleRead(tracked: Tracked): void {
    const owner = tracked.readers[0] ?? tracked.last;
    if (tracked.inLedger !== null && owner !== null) tracked.inLedger.settle(tracked.wire.bytesRead - tracked.spare, owner);
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
        this.owe(tracked, reader, "bytesIn", Math.max(0, tracked.spare - nextHead));
        tracked.spare = Math.min(tracked.spare, nextHead);
        tracked.readers.shift();
        continue;
      }
      const take = Math.min(tracked.spare, reader.unread);
      this.owe(tracked, reader, "bytesIn", take);
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
    const written = Math.max(tracked.written, handedOver(socket));
    const owner = tracked.writers[0] ?? tracked.last;
    if (owner === null) return;
    this.owe(tracked, owner, "bytesOut", written - tracked.written);
    tracked.written = written;
    tracked.outLedger?.settle(handedOver(tracked.wire), owner);
  }

  /** Plaintext bytes of `claim`: credited now without TLS, once the TCP socket has carried them with it. */
  private owe(tracked: Tracked, claim: Claim, counter: ByteCounter, amount: number): void {
    const ledger = counter === "bytesIn" ? tracked.inLedger : tracked.outLedger;
    if (ledger === null) claim.credit(counter, amount);
    else ledger.owe(claim, amount);
  }

  /** The socket closed: its last bytes are counted and every request still on it ends. */
  private forget(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (tracked === undefined) return;
    this.readInto(socket, tracked, 0);
    if (tracked.last !== null) this.owe(tracked, tracked.last, "bytesIn", tracked.spare);
    tracked.spare = 0;
    this.settleRead(tracked);
    this.writeInto(socket, tracked);
    tracked.inLedger?.clear();
    tracked.outLedger?.clear();
    this.sockets.delete(socket);
    for (const claim of tracked.writers) claim.markEnded();
  }
}
