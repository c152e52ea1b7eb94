import { subscribePath } from "../../../protocol/endpoints.js";
import { fetchPage } from "./fetch-page.js";
import { BaseTransport, type TransportOptions } from "./transport.js";

export interface LongPollOptions extends TransportOptions {
  /** How long the server may hold each request before answering empty. */
  holdMs?: number;
}

/**
 * Long polling: a `fetch` loop; the server holds each request until a message exists or the hold
 * time passes, and the next request goes out as soon as an answer arrives.
 */
export class LongPollTransport extends BaseTransport {
  readonly kind = "long-poll" as const;
  private readonly holdMs: number;
  private controller: AbortController | undefined;

  constructor(options: LongPollOptions) {
    super(options);
    this.holdMs = options.holdMs ?? 25_000;
  }

  protected open(gen: number): void {
    // The first request of a connection asks not to be held: its answer is how we know the server
    // is there (state "open") and it brings the backlog after the cursor at once.
    void this.loop(gen, 0);
  }

  protected teardown(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  private async loop(gen: number, firstHoldMs: number): Promise<void> {
    let holdMs = firstHoldMs;
    while (this.isCurrent(gen)) {
      const controller = new AbortController();
      this.controller = controller;
      const path = subscribePath("long-poll", { after: this.cursor, client: this.clientId, timeoutMs: holdMs });
      const page = await fetchPage(this.url(path), controller.signal);
      if (page === null) {
        this.failed(gen);
        return;
      }
      if (!this.isCurrent(gen)) return;
      this.opened(gen);
      this.deliverPage(gen, page);
      holdMs = this.holdMs;
    }
  }
}
