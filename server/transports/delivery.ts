import type { Metered, StompTransport } from "../../protocol/types.js";
import type { ResetSignal } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import type { FeedEntry } from "../feed.js";
import { readPage } from "./poll-body.js";

/**
 * How one held connection takes bytes and closes: the only thing a streaming transport adds to the
 * delivery rules below (NDJSON and SSE on an HTTP response, WebSocket frames on a socket).
 */
export interface Sink {
  /** Queue `bytes`; false when the connection asks the writer to wait for `onDrain`. */
  write(bytes: Buffer): boolean;
  /** Bytes written and not yet handed to the operating system: what the per-client cap counts. */
  readonly buffered: number;
  /** Still open for writing. */
  readonly writable: boolean;
  onDrain(listener: () => void): void;
  /** The first page had nothing to write: tell the client it is subscribed (HTTP sends its headers). */
  ready(): void;
  /** Cut a client that does not read (its unsent bytes are dropped). */
  cut(): void;
  /** End cleanly: the server is shutting down. */
  end(): void;
  /**
   * Each write is one message that the sink frames itself (ws's `send`, compressing per
   * connection): a catch-up page is then written a message at a time, never joined into one write.
   */
  readonly framesEachWrite?: boolean;
  /**
   * When `write` returned true, at most this many bytes are unsent (a Node stream's high-water
   * mark: it says "wait" from there on). Left out where a write may leave more (a compressor's
   * queue, HTTP/2's flow control), so that every write is checked against the cap.
   */
  readonly highWaterMark?: number;
}

/** A transport's bytes for each thing it sends; a message's bytes are made once and shared. */
export interface WireFormat {
  transport: Extract<Metered, "stream" | "sse" | "ws"> | StompTransport;
  message(entry: FeedEntry): Buffer;
  reset(signal: ResetSignal): Buffer;
  /** Sent to a connection silent for about `heartbeatMs`; null where the transport keeps itself alive (WebSocket pings). */
  heartbeat: (() => Buffer) | null;
  /** Written before anything else, with the first page (SSE's `retry:` hint). */
  preamble: Buffer | null;
}

type Deps = Pick<LabDeps, "feed" | "stats" | "config">;

/**
 * Everything a held connection does between "subscribe from a cursor" and "closed", once for all
 * streaming transports: catch-up from the cursor in pages, joining the live feed in the same tick
 * as the last page is read, each message encoded once per format, backpressure and the
 * slow-consumer cut-off, heartbeats, and the bookkeeping and counts when the connection ends.
 */
export class Delivery {
  private readonly encoded = new WeakMap<FeedEntry, Buffer>();
  /** The entry being delivered to every subscriber right now, and its bytes: no lookup per subscriber. */
  private lastEntry: FeedEntry | null = null;
  private lastBytes: Buffer = Buffer.alloc(0);
  private readonly live = new Set<Subscription>();
  /** One timer for every connection, running while there are any (see `sweepHeartbeats`). */
  private heartbeats: NodeJS.Timeout | null = null;

  /**
   * `foldedByOwner`: the owner calls `flushCounts` from a refresher of its own, for deliveries made
   * and dropped while the server runs (STOMP keeps one per subscription id), which must not each
   * leave a refresher behind in the stats.
   */
  constructor(
    readonly deps: Deps,
    readonly format: WireFormat,
    foldedByOwner = false,
  ) {
    // Deliveries are counted per subscription and folded into the stats when they are read: no
    // per-delivery work on the counters' maps.
    if (!foldedByOwner) deps.stats.addRefresher(() => this.flushCounts());
  }

  /** Start delivering to `sink` after `after`; call `closed()` on the result when the connection closes. */
  subscribe(sink: Sink, client: string | undefined, after: number | undefined): Subscription {
    const subscription = new Subscription(this, sink, client, after);
    this.live.add(subscription);
    if (this.heartbeats === null && this.format.heartbeat !== null) {
      this.heartbeats = setInterval(() => this.sweepHeartbeats(), Math.max(1, Math.floor(this.deps.config.heartbeatMs / 2))).unref();
    }
    return subscription;
  }

  /** Server shutdown: end every connection cleanly. */
  endAll(): void {
    for (const subscription of [...this.live]) subscription.end();
  }

  /** The same Buffer for every subscriber of this format. */
  bytesOf(entry: FeedEntry): Buffer {
    if (entry === this.lastEntry) return this.lastBytes;
    let bytes = this.encoded.get(entry);
    if (bytes === undefined) {
      bytes = this.format.message(entry);
      this.encoded.set(entry, bytes);
    }
    this.lastEntry = entry;
    this.lastBytes = bytes;
    return bytes;
  }

  /** @internal Subscription calls it when its connection has closed. */
  forget(subscription: Subscription): void {
    this.live.delete(subscription);
    if (this.live.size === 0 && this.heartbeats !== null) {
      clearInterval(this.heartbeats);
      this.heartbeats = null;
    }
  }

  /**
   * Every half heartbeat period, a heartbeat to each connection that wrote nothing since the last
   * sweep, a heartbeat being a write too: an idle connection gets one every `heartbeatMs`, none is
   * silent longer than that, and a write costs a flag, not a timer re-armed per message per
   * subscriber.
   */
  private sweepHeartbeats(): void {
    const heartbeat = this.format.heartbeat;
    if (heartbeat === null) return;
    let beat: Buffer | null = null;
    for (const subscription of this.live) {
      if (subscription.takeWrote()) continue;
      beat ??= heartbeat();
      // The heartbeat counts as a write: the next sweep passes this connection by, so an idle one
      // gets a heartbeat every period, not every half period.
      subscription.send(beat);
    }
  }

  flushCounts(): void {
    for (const subscription of this.live) subscription.flushCount();
  }
}

export class Subscription {
  /** The id of the last message written (or skipped by a reset); a number once the first page is read. */
  private cursor: number | undefined;
  private unsubscribe: (() => void) | null = null;
  /** Written since the last heartbeat sweep. */
  private wrote = false;
  private uncounted = 0;
  private endedByServer = false;
  private done = false;
  /**
   * Whether a write the sink took at once can have passed the cap: only when the cap is below the
   * sink's high-water mark. Otherwise the cap is checked only when a write is told to wait, which
   * spares the common write (a subscriber that keeps up) reading the buffer's size.
   */
  private readonly checkEveryWrite: boolean;

  constructor(
    private readonly delivery: Delivery,
    private readonly sink: Sink,
    private readonly client: string | undefined,
    after: number | undefined,
  ) {
    this.cursor = after;
    this.checkEveryWrite = !(sink.highWaterMark !== undefined && sink.highWaterMark <= delivery.deps.config.maxBufferedBytes);
    this.catchUp(true);
  }

  /**
   * Write a control frame (an ack, an error, a heartbeat): it counts against the same cap as the
   * messages, so a client that provokes replies and never reads them is cut like any slow reader.
   */
  send(bytes: Buffer): void {
    if (this.done || !this.sink.writable) return;
    const taken = this.sink.write(bytes);
    this.wrote = true;
    if (!taken || this.checkEveryWrite) this.cutIfOverCap();
  }

  /** Server shutdown: end the connection cleanly. */
  end(): void {
    this.stop();
    this.sink.end();
  }

  /** The server closes this connection for a reason of its own (a policy): deliver nothing more. */
  stop(): void {
    this.endedByServer = true;
    this.stopLive();
  }

  /** The connection has closed, whoever closed it: release everything, count a client's leaving. */
  closed(): void {
    if (this.done) return;
    this.done = true;
    this.stopLive();
    this.flushCount();
    this.delivery.forget(this);
    const { stats } = this.delivery.deps;
    if (!this.endedByServer) stats.add(this.delivery.format.transport, this.client, "disconnects");
  }

  /** @internal Whether it wrote since the last call. */
  takeWrote(): boolean {
    const wrote = this.wrote;
    this.wrote = false;
    return wrote;
  }

  /** @internal Fold this subscription's deliveries into the stats. */
  flushCount(): void {
    if (this.uncounted === 0) return;
    this.delivery.deps.stats.add(this.delivery.format.transport, this.client, "delivered", this.uncounted);
    this.uncounted = 0;
  }

  /**
   * The backlog goes out a page at a time (one write of the messages' shared bytes), the next page
   * only once the connection has taken the previous one and never in the same tick: a reader far
   * behind is not mistaken for a slow consumer, one that does not read at all costs one page, and a
   * backlog the kernel's buffers swallow whole is not written in one long stall. The live feed is
   * joined in the same tick as the last page is read, so no message falls between the two.
   */
  private catchUp = (first = false): void => {
    if (this.done || !this.sink.writable) return;
    const { feed, config } = this.delivery.deps;
    const page = readPage(feed, config, this.cursor);
    const parts: Buffer[] = [];
    // The preamble shares the first page's write, so it costs no chunk of its own.
    const { preamble } = this.delivery.format;
    if (first && preamble !== null) parts.push(preamble);
    if (page.reset !== null) parts.push(this.delivery.format.reset(page.reset));
    for (const entry of page.entries) parts.push(this.delivery.bytesOf(entry));
    this.cursor = page.cursor;
    this.uncounted += page.entries.length;
    let taken = true;
    if (parts.length > 0) {
      if (this.sink.framesEachWrite === true) for (const part of parts) taken = this.sink.write(part);
      else taken = this.sink.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
      this.wrote = true;
    } else if (first) {
      this.sink.ready();
    }
    if (!page.more) {
      this.unsubscribe = feed.subscribe(this.deliver);
      return;
    }
    if (taken) setImmediate(this.catchUp);
    else this.sink.onDrain(this.catchUp);
  };

  private deliver = (entry: FeedEntry): void => {
    // A message the catch-up already wrote (the feed may call a listener added during a publish).
    if (this.cursor !== undefined && entry.message.id <= this.cursor) return;
    this.cursor = entry.message.id;
    this.uncounted++;
    this.send(this.delivery.bytesOf(entry));
  };

  /** A subscriber holding more than the cap unsent does not read: cut it rather than hold its backlog. */
  private cutIfOverCap(): void {
    const { config, stats } = this.delivery.deps;
    if (this.sink.buffered <= config.maxBufferedBytes) return;
    stats.add(this.delivery.format.transport, this.client, "cutoffs");
    this.stop();
    this.sink.cut();
  }

  private stopLive(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
