import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ClientEvent, ClientEventBounds } from "../../protocol/client-events.js";
import type { Metered } from "../../protocol/types.js";
import { CountedRequest, type MeteredRequest } from "./counted-request.js";
import { type FrameSummary, textKinds, webSocketKinds } from "./frame-kinds.js";
import type { ByteCounter, ByteOwner } from "./wire-ledger.js";

export const CLIENT_EVENT_BOUNDS: ClientEventBounds = { ring: 2_000, maxClients: 16, maxWatchersPerClient: 4, batchMs: 100 };

/** Bytes of one turn's writes kept to read their kinds from: enough for any page's markers. */
const SNIFF_BYTES = 64 * 1024;
const URL_CHARS = 200;

/** Whoever receives a watched client's events (the route's WebSocket). */
export interface EventWatcher {
  /** One batch, as a JSON text frame. */
  send(json: string): void;
}

export type WatchRefusal = "too_many_clients" | "too_many_watchers";

/** What a watched request's own bytes say; rebuilt per turn, only while watched. */
class Sniff {
  chunks: Buffer[] = [];
  size = 0;
  add(chunk: unknown): void {
    if (this.size >= SNIFF_BYTES) return;
    const bytes =
      typeof chunk === "string" ? Buffer.from(chunk, "latin1") : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : null;
    if (bytes === null) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
  take(webSocket: boolean, fromClient: boolean): FrameSummary {
    const bytes = Buffer.concat(this.chunks).subarray(0, SNIFF_BYTES);
    this.chunks = [];
    this.size = 0;
    return webSocket ? webSocketKinds(bytes, fromClient) : textKinds(bytes.toString("latin1"));
  }
}

/**
 * One request of a watched client, from its routing to its end: the meter credits its bytes here
 * too (CountedRequest.watch), and its writes (and, for a WebSocket, its reads) are noted by
 * wrapping that one response's or socket's methods, which are restored when it ends or nobody
 * watches any more. Everything else in the server never knows.
 */
class RequestWatch implements ByteOwner {
  bytesIn = 0;
  bytesOut = 0;
  private tickedIn = 0;
  private tickedOut = 0;
  private readonly out = new Sniff();
  private readonly in = new Sniff();
  private outPending = false;
  private inPending = false;
  private status = 0;
  private responded = false;
  private ended = false;
  /** Undo every wrap and listener. */
  private readonly undo: (() => void)[] = [];

  constructor(
    private readonly owner: WatchedClient,
    private readonly events: ClientEvents,
    readonly rid: number,
    private readonly metered: CountedRequest,
    private readonly upgrade: boolean,
  ) {}

  credit(counter: ByteCounter, amount: number): void {
    if (counter === "bytesIn") this.bytesIn += amount;
    else this.bytesOut += amount;
  }

  /** Wrap a response: its head (the wait ends) and every write on it (a held stream's frames). */
  watchResponse(res: ServerResponse): void {
    const writeHead = res.writeHead;
    const write = res.write;
    const watch = this;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (!watch.responded) watch.respond(typeof args[0] === "number" ? args[0] : res.statusCode);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      if (!watch.responded) watch.respond(res.statusCode);
      watch.noteOut(args[0]);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof res.write;
    const onClose = (): void => this.finish(res.statusCode);
    res.once("close", onClose);
    this.undo.push(() => {
      Reflect.deleteProperty(res, "writeHead");
      Reflect.deleteProperty(res, "write");
      res.off("close", onClose);
    });
  }

  /** Wrap an upgraded socket: its 101 (or refusal), then every frame each way. */
  watchSocket(socket: Socket): void {
    const write = socket.write;
    const watch = this;
    socket.write = function (this: Socket, ...args: unknown[]) {
      if (!watch.responded) {
        const head = /^HTTP\/1\.1 (\d{3})/.exec(
          String(typeof args[0] === "string" ? args[0] : Buffer.isBuffer(args[0]) ? args[0].toString("latin1", 0, 16) : ""),
        );
        watch.respond(head === null ? 0 : Number(head[1]));
        watch.status = head === null ? 0 : Number(head[1]);
      } else watch.noteOut(args[0]);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof socket.write;
    const onData = (chunk: Buffer): void => this.noteIn(chunk);
    const onClose = (): void => this.finish(this.status);
    socket.on("data", onData);
    socket.once("close", onClose);
    this.undo.push(() => {
      Reflect.deleteProperty(socket, "write");
      socket.off("data", onData);
      socket.off("close", onClose);
    });
  }

  /** The turn's writes and reads as ticks, each with what the meter credited since the last one. */
  tick(now: number): void {
    if (this.outPending) {
      this.outPending = false;
      const { kinds, messages } = this.out.take(this.upgrade, false);
      this.owner.record({
        type: "frame",
        rid: this.rid,
        t: now,
        dir: "out",
        kinds,
        messages,
        bytes: this.bytesOut - this.tickedOut,
        totalIn: this.bytesIn,
        totalOut: this.bytesOut,
      });
      this.tickedOut = this.bytesOut;
    }
    if (this.inPending) {
      this.inPending = false;
      const { kinds, messages } = this.in.take(true, true);
      this.owner.record({
        type: "frame",
        rid: this.rid,
        t: now,
        dir: "in",
        kinds,
        messages,
        bytes: this.bytesIn - this.tickedIn,
        totalIn: this.bytesIn,
        totalOut: this.bytesOut,
      });
      this.tickedIn = this.bytesIn;
    }
  }

  /** Stop watching: the methods are the prototype's again, the meter stops telling. */
  detach(): void {
    for (const step of this.undo.splice(0)) step();
    if (this.metered.watch === this) this.metered.watch = null;
    this.owner.open.delete(this);
  }

  private respond(status: number): void {
    this.responded = true;
    this.owner.record({ type: "response", rid: this.rid, t: Date.now(), status, totalIn: this.bytesIn });
  }

  private noteOut(chunk: unknown): void {
    this.out.add(chunk);
    if (this.outPending) return;
    this.outPending = true;
    this.events.scheduleTick(this);
  }

  private noteIn(chunk: Buffer): void {
    if (!this.responded) return;
    this.in.add(chunk);
    if (this.inPending) return;
    this.inPending = true;
    this.events.scheduleTick(this);
  }

  /** The last bytes are the meter's once its own close listeners have run: the end goes a turn later. */
  private finish(status: number): void {
    if (this.ended) return;
    this.ended = true;
    setImmediate(() => {
      this.events.flushMeter();
      this.tick(Date.now());
      this.owner.record({ type: "end", rid: this.rid, t: Date.now(), status, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
      this.detach();
    });
  }
}

/** A client somebody watches: its ring of recent events, its watchers, its requests being watched. */
class WatchedClient {
  readonly watchers = new Set<EventWatcher>();
  readonly open = new Set<RequestWatch>();
  private readonly ring: ClientEvent[] = [];
  private queue: ClientEvent[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  nextRid = 1;

  constructor(private readonly bounds: ClientEventBounds) {}

  record(event: ClientEvent): void {
    this.ring.push(event);
    // Amortized: a quarter at a time, not a shift per event.
    if (this.ring.length > this.bounds.ring) this.ring.splice(0, this.ring.length - Math.floor((this.bounds.ring * 3) / 4));
    this.queue.push(event);
    if (this.queue.length > this.bounds.ring) {
      this.dropped += this.queue.length - this.bounds.ring;
      this.queue.splice(0, this.queue.length - this.bounds.ring);
    }
    this.timer ??= setTimeout(() => this.flush(), this.bounds.batchMs);
  }

  /** A new watcher gets what the ring holds, at once. */
  replay(watcher: EventWatcher): void {
    watcher.send(JSON.stringify({ type: "events", events: this.ring, dropped: 0 }));
  }

  private flush(): void {
    this.timer = null;
    if (this.queue.length === 0) return;
    const json = JSON.stringify({ type: "events", events: this.queue, dropped: this.dropped });
    this.queue = [];
    this.dropped = 0;
    for (const watcher of this.watchers) watcher.send(json);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const watch of [...this.open]) watch.detach();
  }
}

/**
 * The per-client event feed behind `GET /api/clients/:id/events`: opt-in and bounded. While nobody
 * watches, the only cost is one boolean read per request (`active`, in the meter's request check);
 * no delivery, write or byte count of the server passes through here. A watched client's requests
 * are followed from their routing: their bytes as the meter credits them, their writes and reads by
 * wrapping that request's own response or socket (see RequestWatch), sized by the meter at the end
 * of the turn in which they happened.
 *
 * Requests already open when watching starts are not followed (the dashboard watches before it
 * connects); requests of unmetered routes (stats, this feed) are not either.
 */
export class ClientEvents {
  /** True while any client is watched: read once per request by the meter's request check. */
  active = false;
  private readonly clients = new Map<string, WatchedClient>();
  private readonly ticking = new Set<RequestWatch>();
  private tickScheduled = false;

  /** `flushMeter`: bring the meter's counts up to date (SocketMeter.flushAll). */
  constructor(
    readonly flushMeter: () => void,
    readonly bounds: ClientEventBounds = CLIENT_EVENT_BOUNDS,
  ) {}

  /** Whether one more watcher of `id` would be accepted. */
  refusal(id: string): WatchRefusal | null {
    const watched = this.clients.get(id);
    if (watched === undefined) return this.clients.size >= this.bounds.maxClients ? "too_many_clients" : null;
    return watched.watchers.size >= this.bounds.maxWatchersPerClient ? "too_many_watchers" : null;
  }

  /** Start sending `id`'s events to `watcher`: first what the ring holds. */
  watch(id: string, watcher: EventWatcher): WatchRefusal | null {
    const refusal = this.refusal(id);
    if (refusal !== null) return refusal;
    let watched = this.clients.get(id);
    if (watched === undefined) {
      watched = new WatchedClient(this.bounds);
      this.clients.set(id, watched);
      this.active = true;
    }
    watched.watchers.add(watcher);
    watched.replay(watcher);
    return null;
  }

  /** The watcher left; the last one to leave ends the watch and drops the ring. */
  unwatch(id: string, watcher: EventWatcher): void {
    const watched = this.clients.get(id);
    if (watched === undefined || !watched.watchers.delete(watcher) || watched.watchers.size > 0) return;
    watched.stop();
    this.clients.delete(id);
    this.active = this.clients.size > 0;
  }

  get watchedClients(): number {
    return this.clients.size;
  }

  /** A request was routed (call only while `active`): follow it if its client is watched. */
  routed(metered: MeteredRequest, request: FastifyRequest, reply: FastifyReply, transport: Metered | null, client: string | undefined): void {
    if (transport === null || client === undefined || !(metered instanceof CountedRequest) || metered.watch !== null) return;
    const watched = this.clients.get(client);
    if (watched === undefined) return;
    const upgrade = request.headers.upgrade !== undefined && metered.version === "1.1";
    const watch = new RequestWatch(watched, this, watched.nextRid++, metered, upgrade);
    metered.watch = watch;
    watched.open.add(watch);
    watched.record({
      type: "request",
      rid: watch.rid,
      t: Date.now(),
      transport,
      method: request.raw.method ?? "GET",
      url: (request.raw.url ?? "").slice(0, URL_CHARS),
      version: metered.version,
      tls: metered.tls,
      upgrade,
      newConnection: metered.firstOnConnection,
    });
    if (upgrade) watch.watchSocket(request.raw.socket);
    else watch.watchResponse(reply.raw as ServerResponse);
  }

  /** @internal RequestWatch: size this turn's writes once the turn is over, one meter flush for all. */
  scheduleTick(watch: RequestWatch): void {
    this.ticking.add(watch);
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.flushMeter();
      const now = Date.now();
      for (const each of this.ticking) each.tick(now);
      this.ticking.clear();
    });
  }

  /** Server shutdown: every watch ends. */
  close(): void {
    for (const watched of this.clients.values()) watched.stop();
    this.clients.clear();
    this.active = false;
  }
}
