import { backoffDelay, DEFAULT_BACKOFF } from "../../protocol/backoff.js";
import type { ClientEvent, ClientEventBounds, ClientEventFrame } from "../../protocol/client-events.js";

/** How long the chat waits for the feed before connecting anyway (its first connection is then not on the timeline). */
const READY_WAIT_MS = 2_000;

/**
 * This tab's subscription to the server's event feed about itself (`/api/clients/:id/events`): every
 * request and connection the server saw with this tab's client id, with the bytes its meter counted.
 * One WebSocket for the whole tab (it never takes one of the six HTTP/1.1 connections), reconnected
 * with backoff; listeners get each batch.
 */
export class ClientEventFeed {
  /** Resolves once the server watches this tab (or after a short wait, whichever comes first). */
  readonly ready: Promise<void>;
  bounds: ClientEventBounds | null = null;
  /** This tab's clock minus the server's, as of the last hello (0 on one machine, give or take a few ms). */
  clockOffset: number | null = null;
  state: "connecting" | "open" | "closed" = "connecting";
  /** Events the server could not send (a batch over its ring), since the page loaded. */
  dropped = 0;
  /**
   * One more each time the server starts watching again (after a reconnect): request numbers start
   * again with a new watch, so rows are keyed by epoch and number.
   */
  epoch = 0;
  private readonly listeners = new Set<(events: readonly ClientEvent[], epoch: number) => void>();
  private readonly stateListeners = new Set<() => void>();
  private socket: WebSocket | null = null;
  private attempt = 0;
  private markReady: () => void = () => undefined;

  constructor(private readonly clientId: string) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
      setTimeout(resolve, READY_WAIT_MS);
    });
    this.open();
  }

  onEvents(listener: (events: readonly ClientEvent[], epoch: number) => void): void {
    this.listeners.add(listener);
  }

  onState(listener: () => void): void {
    this.stateListeners.add(listener);
  }

  private open(): void {
    const url = `${location.origin.replace(/^http/, "ws")}/api/clients/${encodeURIComponent(this.clientId)}/events`;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.setState("connecting");
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as ClientEventFrame;
      if (frame.type === "hello") {
        this.bounds = frame.bounds;
        this.epoch++;
        this.clockOffset = Date.now() - frame.time;
        this.attempt = 0;
        this.setState("open");
        this.markReady();
        return;
      }
      this.dropped += frame.dropped;
      for (const listener of this.listeners) listener(frame.events, this.epoch);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState("closed");
      setTimeout(() => this.open(), backoffDelay(this.attempt++, DEFAULT_BACKOFF));
    });
  }

  private setState(state: ClientEventFeed["state"]): void {
    this.state = state;
    for (const listener of this.stateListeners) listener();
  }
}
