import { subscribePath } from "../../../protocol/endpoints.js";
import { fetchPage } from "./fetch-page.js";
import { BaseTransport, type TransportOptions } from "./transport.js";

export interface PollOptions extends TransportOptions {
  intervalMs?: number;
}

/** Short polling: `fetch` on an interval; each answer comes at once, empty or not. */
export class PollTransport extends BaseTransport {
  readonly kind = "poll" as const;
  /** Read before each wait, so a change in the UI applies from the next poll on. */
  intervalMs: number;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PollOptions) {
    super(options);
    this.intervalMs = options.intervalMs ?? 1_000;
  }

  protected open(gen: number): void {
    void this.pollOnce(gen);
  }

  protected teardown(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async pollOnce(gen: number): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const path = subscribePath("poll", { after: this.cursor, client: this.clientId });
    const page = await fetchPage(this.url(path), controller.signal);
    if (page === null) {
      this.failed(gen);
      return;
    }
    if (!this.isCurrent(gen)) return;
    this.opened(gen);
    this.deliverPage(gen, page);
    if (!this.isCurrent(gen)) return;
    // `more` means a page limit cut the answer short: fetch the rest now rather than next interval.
    this.timer = setTimeout(() => void this.pollOnce(gen), page.more ? 0 : this.intervalMs);
  }
}
