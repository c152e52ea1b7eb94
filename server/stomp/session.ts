import type { ValidateFunction } from "ajv";
import type { PublishRequest, StompTransport } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { type FeedEntry, FeedUnavailableError } from "../feed.js";
import type { PublishVerdict } from "../limits/rate-limit.js";
import { UINT_PATTERN } from "../schemas.js";
import type { Sink, Subscription } from "../transports/delivery.js";
import { APP_CHAT, type StompDeliveries, TOPIC } from "./deliveries.js";
import { encodeFrame, HEARTBEAT, type Header, headerOf, type StompFrame } from "./frame.js";
import { type HeartBeats, negotiateHeartBeats, parseHeartBeat, silenceLimitMs } from "./heart-beat.js";
import { type ParserLimits, StompParser } from "./parser.js";

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL = 1011;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** Subscriptions one connection may hold: each one is another copy of the feed to write. */
export const MAX_SUBSCRIPTIONS = 8;

/** What carries a session's frames: a WebSocket, or a SockJS connection. */
export interface StompCarrier {
  readonly transport: StompTransport;
  /** Bytes to the client, already in the carrier's framing (see `wrap`). */
  readonly sink: Sink;
  /** One STOMP frame in the carrier's framing. */
  wrap(frame: Buffer): Buffer;
  /** Close the connection after what was written before (an ERROR, a RECEIPT) has gone out. */
  close(code: number, reason: string): void;
  readonly client: string | undefined;
  /** Count one publish against this connection's address's budget, shared with HTTP and WebSocket. */
  publishBudget(): Promise<PublishVerdict>;
}

/** What every session of one endpoint shares. */
export interface SessionContext {
  deps: LabDeps;
  deliveries: StompDeliveries;
  validateSend: ValidateFunction<PublishRequest>;
  limits: ParserLimits;
  /** A bug of ours (never a client's mistake) while handling a frame. */
  onInternalError(error: unknown): void;
}

const CURSOR = new RegExp(UINT_PATTERN);
const JSON_TYPE = /^(application\/json|text\/plain)\s*(;|$)/i;

/**
 * One client's STOMP 1.2 conversation over any carrier: CONNECT, SUBSCRIBE to /topic/messages (fed
 * by the delivery core), SEND to /app/chat (validated and rate-limited as `POST /api/messages`),
 * UNSUBSCRIBE, DISCONNECT, receipts, and an ERROR then close for anything else, as the spec says.
 * Frames are handled one after the other, a SEND waiting for its budget, so receipts come in the
 * order of the frames they answer and a DISCONNECT's receipt follows every earlier publish.
 */
export class StompSession {
  private readonly parser: StompParser;
  private state: "awaiting-connect" | "connected" | "closed" = "awaiting-connect";
  private readonly subscriptions = new Map<string, { subscription: Subscription; release: () => void }>();
  private queue: Promise<void> = Promise.resolve();
  /** The sink, noting each write for the heart-beat sweep. */
  private readonly sink: Sink;
  private heartBeats: HeartBeats = { outgoingMs: 0, incomingMs: 0 };
  private wrote = false;
  private heard = false;
  private outSilentMs = 0;
  private inSilentMs = 0;

  constructor(
    private readonly context: SessionContext,
    private readonly carrier: StompCarrier,
    private readonly onClosed: (session: StompSession) => void,
  ) {
    this.parser = new StompParser(context.limits);
    const inner = carrier.sink;
    this.sink = {
      write: (bytes) => {
        this.wrote = true;
        return inner.write(bytes);
      },
      get buffered() {
        return inner.buffered;
      },
      get writable() {
        return inner.writable;
      },
      onDrain: (listener) => inner.onDrain(listener),
      ready: () => inner.ready(),
      cut: () => inner.cut(),
      end: () => inner.end(),
    };
  }

  /** Bytes from the client, split anywhere. */
  receive(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.heard = true;
    for (const event of this.parser.push(chunk)) {
      if (event.type === "frame") this.enqueue(() => this.handle(event.frame));
      else if (event.type === "error") this.enqueue(() => this.refuse(event.message));
    }
  }

  /** The connection has closed, whoever closed it: release every subscription. */
  connectionClosed(): void {
    this.state = "closed";
    for (const { subscription, release } of this.subscriptions.values()) {
      subscription.closed();
      release();
    }
    this.subscriptions.clear();
    this.onClosed(this);
  }

  /** Server shutdown: deliver nothing more and end the connection cleanly. */
  end(): void {
    if (this.state === "closed") return;
    this.stopSubscriptions();
    this.state = "closed";
    this.sink.end();
  }

  /**
   * The heart-beat sweep, every `periodMs` (a quarter of the shortest interval any session can
   * negotiate): an end of line to a client that has had nothing for about its interval, and an
   * ERROR then close to one silent past its interval and margin (heart-beat.ts), or one that has
   * not sent CONNECT within the headers timeout.
   */
  sweep(periodMs: number): void {
    if (this.state === "awaiting-connect") {
      // A connection that never says CONNECT holds a slot for nothing: it gets as long as an HTTP
      // client gets for its request headers.
      this.inSilentMs += periodMs;
      const limit = this.context.deps.config.headersTimeoutMs;
      if (this.inSilentMs > limit) this.refuse(`no CONNECT frame within ${limit} ms`);
      return;
    }
    if (this.state !== "connected") return;
    const { outgoingMs, incomingMs } = this.heartBeats;
    if (outgoingMs > 0) {
      this.outSilentMs = this.wrote ? 0 : this.outSilentMs + periodMs;
      this.wrote = false;
      // Sent at the last sweep before the silence could exceed the interval.
      if (this.outSilentMs + periodMs > outgoingMs) {
        this.control(HEARTBEAT);
        this.wrote = false;
        this.outSilentMs = 0;
      }
    }
    if (incomingMs > 0) {
      this.inSilentMs = this.heard ? 0 : this.inSilentMs + periodMs;
      this.heard = false;
      if (this.inSilentMs > silenceLimitMs(incomingMs)) {
        // A lost client, not a mistake: its subscriptions count a disconnect as they close.
        this.control(errorFrame(`no heart-beat from the client for ${this.inSilentMs} ms (negotiated: every ${incomingMs} ms)`));
        this.state = "closed";
        this.carrier.close(CLOSE_NORMAL, "heart-beat timeout");
      }
    }
  }

  private enqueue(step: () => void | Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.state === "closed" ? undefined : step()))
      .catch((error: unknown) => {
        this.context.onInternalError(error);
        this.closeForPolicy(CLOSE_INTERNAL, "internal error");
      });
  }

  private handle(frame: StompFrame): void | Promise<void> {
    if (frame.command === "CONNECT" || frame.command === "STOMP") {
      this.connect(frame);
      return;
    }
    if (this.state !== "connected") {
      this.refuse(`expected CONNECT or STOMP first, got ${frame.command}`, frame);
      return;
    }
    switch (frame.command) {
      case "SUBSCRIBE":
        this.subscribe(frame);
        return;
      case "UNSUBSCRIBE":
        this.unsubscribe(frame);
        return;
      case "SEND":
        return this.send(frame);
      case "DISCONNECT":
        this.sendReceipt(frame);
        this.stopSubscriptions();
        this.state = "closed";
        this.carrier.close(CLOSE_NORMAL, "disconnected");
        return;
      case "ACK":
      case "NACK":
      case "BEGIN":
      case "COMMIT":
      case "ABORT":
        this.refuse(`${frame.command} is not supported: subscriptions are ack:auto and there are no transactions`, frame);
        return;
      default:
        this.refuse(`unknown command ${frame.command}`, frame);
    }
  }

  private connect(frame: StompFrame): void {
    if (this.state !== "awaiting-connect") {
      this.refuse("already connected", frame);
      return;
    }
    const versions = (headerOf(frame, "accept-version") ?? "1.0").split(",").map((v) => v.trim());
    if (!versions.includes("1.2")) {
      this.refuse(`this server speaks STOMP 1.2 only; accept-version was ${versions.join(",")}`, frame, [["version", "1.2"]]);
      return;
    }
    const asked = parseHeartBeat(headerOf(frame, "heart-beat"));
    if (asked === null) {
      this.refuse('bad heart-beat header: expected "cx,cy" in ms', frame);
      return;
    }
    // The server can send, and wants to hear, every heartbeatMs (the streams' heartbeat period).
    const offered: [number, number] = [this.context.deps.config.heartbeatMs, this.context.deps.config.heartbeatMs];
    this.heartBeats = negotiateHeartBeats(asked, offered);
    this.state = "connected";
    this.inSilentMs = 0;
    this.control(
      encodeFrame("CONNECTED", [
        ["version", "1.2"],
        ["heart-beat", `${offered[0]},${offered[1]}`],
        ["server", "transport-lab/0.1"],
      ]),
    );
  }

  private subscribe(frame: StompFrame): void {
    const id = headerOf(frame, "id");
    const destination = headerOf(frame, "destination");
    const after = headerOf(frame, "x-after");
    if (destination === undefined) {
      this.refuse("SUBSCRIBE needs a destination header", frame);
      return;
    }
    if (destination !== TOPIC) {
      this.refuse(`unknown destination ${JSON.stringify(destination.slice(0, 64))}: subscribe to ${TOPIC}`, frame);
      return;
    }
    if (id === undefined) {
      this.refuse("SUBSCRIBE needs an id header", frame);
      return;
    }
    if (this.subscriptions.has(id)) {
      this.refuse(`subscription id ${JSON.stringify(id.slice(0, 64))} is already in use`, frame);
      return;
    }
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      this.refuse(`at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`, frame);
      return;
    }
    if ((headerOf(frame, "ack") ?? "auto") !== "auto") {
      this.refuse("only ack:auto is supported", frame);
      return;
    }
    if (after !== undefined && !(CURSOR.test(after) && Number.isSafeInteger(Number(after)))) {
      this.refuse("x-after must be a message id (a whole number)", frame);
      return;
    }
    // The receipt first: the first page of messages follows it.
    this.sendReceipt(frame);
    const { client } = this.carrier;
    this.subscriptions.set(id, this.context.deliveries.subscribe(id, this.sink, client, after === undefined ? undefined : Number(after)));
  }

  private unsubscribe(frame: StompFrame): void {
    const id = headerOf(frame, "id");
    if (id === undefined) {
      this.refuse("UNSUBSCRIBE needs an id header", frame);
      return;
    }
    const held = this.subscriptions.get(id);
    if (held === undefined) {
      this.refuse(`no subscription with id ${JSON.stringify(id.slice(0, 64))}`, frame);
      return;
    }
    this.subscriptions.delete(id);
    held.subscription.stop();
    held.subscription.closed();
    held.release();
    this.sendReceipt(frame);
  }

  private async send(frame: StompFrame): Promise<void> {
    const destination = headerOf(frame, "destination");
    if (destination === undefined) return this.refuse("SEND needs a destination header", frame);
    if (destination !== APP_CHAT) return this.refuse(`unknown destination ${JSON.stringify(destination.slice(0, 64))}: send to ${APP_CHAT}`, frame);
    const type = headerOf(frame, "content-type");
    if (type !== undefined && !JSON_TYPE.test(type)) return this.refuse("content-type must be application/json", frame);
    let body: unknown;
    try {
      body = JSON.parse(frame.body.toString("utf8"));
    } catch {
      return this.refuse("the body is not valid JSON", frame);
    }
    const { validateSend, deps } = this.context;
    if (!validateSend(body)) return this.refuse(`invalid message: ${describeError(validateSend.errors?.[0])}`, frame);
    const publish: PublishRequest = { from: body.from, text: body.text };
    if (body.nonce !== undefined) publish.nonce = body.nonce;
    const verdict = await this.carrier.publishBudget();
    // Nothing is acknowledged once the connection is gone or the server has begun shutting down.
    if (this.state === "closed" || deps.closing) return;
    if (!verdict.allowed) {
      deps.stats.add(this.carrier.transport, this.carrier.client, "refused");
      const { publishRateMax, publishRateWindowMs } = deps.config;
      this.control(
        errorFrame(`publish rate limit: at most ${publishRateMax} messages per ${publishRateWindowMs} ms; retry in ${verdict.retryAfterSeconds} s`, frame),
      );
      return this.closeForPolicy(CLOSE_POLICY, "publish rate limit exceeded");
    }
    const stored = deps.feed.publish(publish);
    let entry: FeedEntry;
    if (stored instanceof Promise) {
      // A shared log (Redis): the receipt only once stored. Unreachable: the spec's answer to a SEND
      // the server cannot process, an ERROR and then the connection closes; nothing was stored.
      try {
        entry = await stored;
      } catch (error) {
        if (!(error instanceof FeedUnavailableError)) throw error;
        this.control(errorFrame(`${error.message}; retry in ${deps.config.retryAfterSeconds} s`, frame));
        return this.closeForPolicy(CLOSE_TRY_AGAIN_LATER, "feed unavailable");
      }
    } else entry = stored;
    this.sendReceipt(frame, [["x-message-id", String(entry.message.id)]]);
  }

  private sendReceipt(frame: StompFrame, extra: Header[] = []): void {
    const receipt = headerOf(frame, "receipt");
    if (receipt !== undefined) this.control(encodeFrame("RECEIPT", [["receipt-id", receipt], ...extra]));
  }

  /** The client's mistake: an ERROR frame, then the connection closes (1.2, "ERROR"). */
  private refuse(message: string, frame?: StompFrame, extra: Header[] = []): void {
    this.context.deps.stats.add(this.carrier.transport, this.carrier.client, "clientErrors");
    this.control(errorFrame(message, frame, extra));
    this.closeForPolicy(CLOSE_NORMAL, "STOMP error");
  }

  private closeForPolicy(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.stopSubscriptions();
    this.state = "closed";
    this.carrier.close(code, reason);
  }

  /**
   * A frame that is not a message (CONNECTED, RECEIPT, ERROR, a heart-beat): it counts against the
   * same cap as the messages, so a client that provokes replies and never reads them is cut as a
   * slow reader is.
   */
  private control(frame: Buffer): void {
    const sink = this.sink;
    if (!sink.writable) return;
    sink.write(this.carrier.wrap(frame));
    if (sink.buffered <= this.context.deps.config.maxBufferedBytes) return;
    this.context.deps.stats.add(this.carrier.transport, this.carrier.client, "cutoffs");
    this.stopSubscriptions();
    this.state = "closed";
    sink.cut();
  }

  /** The server ends these subscriptions for a reason of its own: they count no disconnect. */
  private stopSubscriptions(): void {
    for (const { subscription } of this.subscriptions.values()) subscription.stop();
  }
}

function errorFrame(message: string, frame?: StompFrame, extra: Header[] = []): Buffer {
  const headers: Header[] = [["message", message], ...extra];
  const receipt = frame === undefined ? undefined : headerOf(frame, "receipt");
  if (receipt !== undefined) headers.push(["receipt-id", receipt]);
  headers.push(["content-type", "text/plain"]);
  const body = frame === undefined ? message : `${message}\n(in a ${frame.command} frame)`;
  return encodeFrame("ERROR", headers, body);
}

function describeError(error: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> } | undefined): string {
  if (error === undefined) return "invalid body";
  if (error.keyword === "additionalProperties") return `unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === "required") return `missing field "${String(error.params.missingProperty)}"`;
  const path = error.instancePath.replace(/^\//, "");
  return path === "" ? (error.message ?? "invalid body") : `"${path}" ${error.message ?? "is invalid"}`;
}
