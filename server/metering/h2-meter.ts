import type { Socket } from "node:net";
import type { Metered } from "../../protocol/types.js";
import { CountedRequest, type MeteredRequest } from "./counted-request.js";
import { CLIENT_PREFACE_LENGTH, FrameFlag, FrameParser, FrameType, PREFACE } from "./h2-frames.js";
import type { Stats } from "./stats.js";
import { type ByteCounter, type ByteOwner, handedOver, WireLedger } from "./wire-ledger.js";

/** An HTTP/2 connection's plaintext as the TLS listener passes it on (server/tls/secure-listener.ts H2Wire). */
export interface Http2Plaintext {
  onData: ((direction: "in" | "out", chunk: Buffer) => void) | null;
}

/** What the meter reads of Node's Http2Stream. */
export interface Http2StreamLike {
  readonly id: number;
  readonly closed: boolean;
  once(event: "close", listener: () => void): unknown;
}

const IN = 0;
const OUT = 1;
type Direction = typeof IN | typeof OUT;

/** Bits of `StreamRecord.ends`: END_STREAM sent each way (pending: its header block goes on). */
const IN_PENDING = 1;
const IN_ENDED = 2;
const OUT_PENDING = 4;
const OUT_ENDED = 8;

/** One stream of an HTTP/2 connection, from its first HEADERS frame: its request as the meter counts it. */
class StreamRecord extends CountedRequest {
  ends = 0;
  /** Closed on the wire: both sides sent END_STREAM, or one reset it. Later frames are the connection's. */
  retired = false;

  constructor(
    stats: Stats,
    readonly id: number,
    first: boolean,
    private readonly onMetered: (record: StreamRecord) => void,
  ) {
    super(stats, "2", true, first);
  }

  override identify(transport: Metered | null, client: string | undefined): void {
    const known = this.transport !== undefined;
    super.identify(transport, client);
    if (!known && transport !== null) this.onMetered(this);
  }
}

/**
 * Connection-level bytes before the connection's first stream (the preface, both SETTINGS, the
 * handshake): held, then given to the first stream as soon as it opens.
 */
class BeforeFirstStream implements ByteOwner {
  private bytesIn = 0;
  private bytesOut = 0;
  private target: ByteOwner | null = null;

  credit(counter: ByteCounter, amount: number): void {
    if (this.target !== null) this.target.credit(counter, amount);
    else if (counter === "bytesIn") this.bytesIn += amount;
    else this.bytesOut += amount;
  }

  handTo(target: ByteOwner): void {
    this.target = target;
    target.credit("bytesIn", this.bytesIn);
    target.credit("bytesOut", this.bytesOut);
  }
}

/**
 * One HTTP/2 connection over TLS, metered at its TCP socket and shared out among its streams by the
 * frames that pass in its plaintext (h2-frames.ts):
 * - a stream's own frames (HEADERS, CONTINUATION, DATA, RST_STREAM, PRIORITY, WINDOW_UPDATE on it)
 *   are its bytes, 9-byte frame headers included, from the HEADERS frame that opens it until it is
 *   closed on the wire (END_STREAM both ways, or RST_STREAM either way);
 * - everything else is the connection's: the client preface, stream-0 frames (SETTINGS, PING,
 *   GOAWAY, the connection's WINDOW_UPDATE) and frames for a stream already closed (a late
 *   WINDOW_UPDATE or RST_STREAM). The rule: they go to the newest stream opened on the connection
 *   whose route is metered, at that moment (so a dashboard's /api/stats requests, unmetered, do
 *   not swallow them); until there is one, to the newest stream; before the first stream, they
 *   wait for it, as an HTTP/1.1 connection's setup goes to its first request;
 * - the TLS overhead goes with the frames its records carried, to the owner of their last bytes
 *   (wire-ledger.ts); overhead that carried no frame (the handshake, alerts) is the connection's,
 *   so the handshake goes to the first stream.
 * Every byte thus has exactly one owner, so the transports' totals add up to the connection's TCP
 * counters exactly whenever every stream on it is metered (a stream of an unmetered route, such as
 * /api/stats, drops its bytes, connection-level share included, as an unmetered HTTP/1.1 request does).
 *
 * A stream is identified when its request reaches the request gate, which Node does while it reads
 * the HEADERS frame, after the meter has seen it; a stream is `open` until Node closes it.
 */
export class Http2ConnectionMeter {
  /** Streams open on the wire. */
  private readonly streams = new Map<number, StreamRecord>();
  /** Streams closed on the wire before their request was identified (a client reset, a refused stream). */
  private readonly unidentified = new Map<number, StreamRecord>();
  private readonly beforeFirst = new BeforeFirstStream();
  private newest: StreamRecord | null = null;
  private newestMetered: StreamRecord | null = null;
  private highestId = 0;
  private readonly parsers: [FrameParser, FrameParser];
  private readonly ledgers = [new WireLedger("bytesIn"), new WireLedger("bytesOut")] as const;
  /** Owner of the frame in progress, each direction: its later payload bytes are that owner's. */
  private readonly current: [ByteOwner, ByteOwner];
  private closed = false;

  constructor(
    private readonly stats: Stats,
    private readonly tcp: Socket,
  ) {
    this.parsers = [
      new FrameParser((id, type, flags, bytes, first) => this.frameBytes(IN, id, type, flags, bytes, first), CLIENT_PREFACE_LENGTH),
      new FrameParser((id, type, flags, bytes, first) => this.frameBytes(OUT, id, type, flags, bytes, first)),
    ];
    this.current = [this.beforeFirst, this.beforeFirst];
    stats.connections.h2.open += 1;
  }

  /** A chunk of plaintext, before the session reads it (in) or before TLS encrypts it (out). */
  data(direction: "in" | "out", chunk: Buffer): void {
    if (this.closed) return;
    this.parsers[direction === "in" ? IN : OUT].push(chunk);
    if (this.settleScheduled) return;
    this.settleScheduled = true;
    setImmediate(this.settleLater);
  }

  /**
   * Settled once per turn, after its I/O: TLS hands over one record's plaintext at a time, so while
   * a chunk is parsed the TCP count may include records not decrypted yet, which would count as
   * overhead of the frames before them. Once per turn, the chunks of a turn cost one look.
   */
  private settleScheduled = false;
  private readonly settleLater = (): void => {
    this.settleScheduled = false;
    this.flush();
  };

  /** The request on `stream` reached the request gate. */
  claim(stream: Http2StreamLike): MeteredRequest {
    let record = this.streams.get(stream.id) ?? this.unidentified.get(stream.id);
    this.unidentified.delete(stream.id);
    // Not seen on the wire (it cannot happen while frames pass through the meter): counted, without bytes.
    record ??= new StreamRecord(this.stats, stream.id, false, this.metered);
    const metered = record;
    if (stream.closed) metered.markEnded();
    else stream.once("close", () => metered.markEnded());
    return metered;
  }

  /** Pay what the TCP socket has carried (before reading stats). */
  flush(): void {
    if (this.closed) return;
    this.settle(IN);
    this.settle(OUT);
  }

  /** The connection closed: its last bytes are counted, its streams end. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const ledger of this.ledgers) ledger.clear();
    this.stats.connections.h2.open -= 1;
    this.stats.connections.h2.streams -= this.streams.size;
    for (const record of this.streams.values()) record.markEnded();
    this.streams.clear();
    this.unidentified.clear();
  }

  private settle(d: Direction): void {
    const wire = d === IN ? this.tcp.bytesRead : handedOver(this.tcp);
    this.ledgers[d].settle(wire, this.connectionOwner());
  }

  private connectionOwner(): ByteOwner {
    return this.newestMetered ?? this.newest ?? this.beforeFirst;
  }

  private readonly metered = (record: StreamRecord): void => {
    if (this.newestMetered === null || record.id > this.newestMetered.id) this.newestMetered = record;
  };

  private frameBytes(d: Direction, id: number, type: number, flags: number, bytes: number, first: boolean): void {
    if (type === PREFACE) this.current[d] = this.connectionOwner();
    else if (first) this.current[d] = this.frameOwner(d, id, type, flags);
    this.ledgers[d].owe(this.current[d], bytes);
  }

  /** Whose a frame is, from its header; follows the stream's life on the wire. */
  private frameOwner(d: Direction, id: number, type: number, flags: number): ByteOwner {
    if (id === 0) return this.connectionOwner();
    let record = this.streams.get(id);
    if (record === undefined) {
      // Client streams only open with HEADERS, on ever higher ids (RFC 9113 §5.1.1).
      if (d !== IN || type !== FrameType.HEADERS || id <= this.highestId) return this.connectionOwner();
      record = this.open(id);
    }
    if (type === FrameType.RST_STREAM) this.retire(record);
    else if (type === FrameType.HEADERS || type === FrameType.CONTINUATION) {
      // END_STREAM rides on HEADERS, but the header block may go on in CONTINUATION frames.
      if (type === FrameType.HEADERS && (flags & FrameFlag.END_STREAM) !== 0) record.ends |= d === IN ? IN_PENDING : OUT_PENDING;
      if ((flags & FrameFlag.END_HEADERS) !== 0 && (record.ends & (d === IN ? IN_PENDING : OUT_PENDING)) !== 0) this.endSide(record, d);
    } else if (type === FrameType.DATA && (flags & FrameFlag.END_STREAM) !== 0) this.endSide(record, d);
    return record;
  }

  private open(id: number): StreamRecord {
    const record = new StreamRecord(this.stats, id, this.newest === null, this.metered);
    this.highestId = id;
    this.streams.set(id, record);
    this.stats.connections.h2.streams += 1;
    if (this.newest === null) this.beforeFirst.handTo(record);
    this.newest = record;
    return record;
  }

  private endSide(record: StreamRecord, d: Direction): void {
    record.ends |= d === IN ? IN_ENDED : OUT_ENDED;
    if ((record.ends & IN_ENDED) !== 0 && (record.ends & OUT_ENDED) !== 0) this.retire(record);
  }

  private retire(record: StreamRecord): void {
    if (record.retired) return;
    record.retired = true;
    this.streams.delete(record.id);
    this.stats.connections.h2.streams -= 1;
    if (record.transport === undefined) this.unidentified.set(record.id, record);
  }
}
