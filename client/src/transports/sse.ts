import { subscribePath } from "../../../protocol/endpoints.js";
import { parseFrame } from "../../../protocol/ndjson.js";
import { BaseTransport } from "./transport.js";

/**
 * Server-Sent Events with the browser's EventSource. EventSource would reconnect by itself, with
 * `Last-Event-ID`, but at a fixed delay and not at all after a non-200 answer; so on any error this
 * client closes it and reconnects with backoff from its own cursor, like the other four.
 */
export class SseTransport extends BaseTransport {
  readonly kind = "sse" as const;
  private source: EventSource | undefined;

  protected open(gen: number): void {
    const path = subscribePath("sse", { after: this.cursor, client: this.clientId });
    const source = new EventSource(this.url(path));
    this.source = source;
    const onData = (event: MessageEvent<string>): void => {
      try {
        this.deliver(gen, parseFrame(event.data));
      } catch {
        this.failed(gen);
      }
    };
    source.onopen = () => this.opened(gen);
    source.onmessage = onData;
    source.addEventListener("reset", onData);
    source.onerror = () => this.failed(gen);
  }

  protected teardown(): void {
    this.source?.close();
    this.source = undefined;
  }
}
