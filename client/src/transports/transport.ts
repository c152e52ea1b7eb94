import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "../../../protocol/backoff.js";
import { isControl, type ChatMessage, type PollResponse, type ResetSignal, type ServerFrame } from "../../../protocol/types.js";
import type { ChatTransport } from "./kinds.js";

export type TransportState = "connecting" | "open" | "reconnecting" | "closed";

export interface TransportHandlers {
  /** A message, in id order; called only while the transport is not closed. */
  onMessage(message: ChatMessage): void;
  /** The server could not honour the cursor and continues after `signal.cursor`. */
  onReset?(signal: ResetSignal): void;
  onState?(state: TransportState): void;
}

export interface TransportOptions extends TransportHandlers {
  /** Origin for requests; "" means the page's own origin. */
  origin?: string;
  /** Attributes this client's requests in /api/stats (the `client` parameter). */
  clientId?: string;
  backoff?: BackoffPolicy;
}

/** The one small interface every transport client implements. */
export interface TransportClient {
  readonly kind: ChatTransport;
  readonly state: TransportState;
  /** The last id delivered (or the reset cursor): where a reconnect resumes. */
  readonly cursor: number | undefined;
  /** Start delivering the messages after `after` (recent history when undefined). */
  connect(after?: number): void;
  /** Stop at once: abort requests, close sockets, clear timers. Nothing is delivered afterwards. */
  close(): void;
}

/**
 * What the seven clients share: state reporting, the resume cursor, and reconnecting with backoff.
 * A subclass implements `open()` for one connection attempt and `teardown()` to stop it.
 *
 * Every attempt gets a generation number; callbacks of an older attempt (a late `fetch` answer, an
 * event queued before `close()`) see a stale generation and deliver nothing. That is what lets a
 * switch close the old transport and start the new one without a message arriving twice.
 */
export abstract class BaseTransport implements TransportClient {
  abstract readonly kind: ChatTransport;
  state: TransportState = "closed";
  cursor: number | undefined;
  protected readonly origin: string;
  protected readonly clientId: string | undefined;
  protected generation = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(protected readonly options: TransportOptions) {
    this.origin = options.origin ?? "";
    this.clientId = options.clientId;
  }

  connect(after?: number): void {
    this.stop();
    this.cursor = after;
    this.attempt = 0;
    this.setState("connecting");
    this.start();
  }

  close(): void {
    this.stop();
    this.setState("closed");
  }

  /** One connection attempt for generation `gen`, resuming after `this.cursor`. */
  protected abstract open(gen: number): void;
  /** Release whatever `open` holds (abort controller, socket, timer). */
  protected abstract teardown(): void;

  protected isCurrent(gen: number): boolean {
    return gen === this.generation && this.state !== "closed";
  }

  /** The attempt succeeded: later failures start backing off from the shortest delay again. */
  protected opened(gen: number): void {
    if (!this.isCurrent(gen)) return;
    this.attempt = 0;
    this.setState("open");
  }

  /** The attempt failed or ended: tear it down and try again after a backoff delay. */
  protected failed(gen: number): void {
    if (!this.isCurrent(gen)) return;
    this.teardown();
    this.generation++;
    this.setState("reconnecting");
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, delay);
  }

  /** Hand one server frame to the application; heartbeats, acks and errors are not messages. */
  protected deliver(gen: number, frame: ServerFrame): void {
    if (!this.isCurrent(gen)) return;
    if (!isControl(frame)) {
      this.cursor = frame.id;
      this.options.onMessage(frame);
    } else if (frame.type === "reset") {
      this.cursor = frame.cursor;
      this.options.onReset?.(frame);
    }
  }

  /** One poll or long-poll answer: the reset first, then its messages, then its cursor. */
  protected deliverPage(gen: number, page: PollResponse): void {
    if (page.reset !== undefined) this.deliver(gen, page.reset);
    for (const message of page.messages) this.deliver(gen, message);
    if (this.isCurrent(gen)) this.cursor = page.cursor;
  }

  protected url(path: string, scheme: "http" | "ws" = "http"): string {
    if (scheme === "http") return this.origin + path;
    const base = this.origin === "" ? location.origin : this.origin;
    return base.replace(/^http/, "ws") + path;
  }

  private start(): void {
    this.generation++;
    this.open(this.generation);
  }

  private stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.teardown();
    this.generation++;
  }

  private setState(state: TransportState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState?.(state);
  }
}
