import type { ResetSignal, StompTransport } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import type { FeedEntry } from "../feed.js";
import { Delivery, type Sink, type Subscription } from "../transports/delivery.js";
import { encodeFrame, escapeHeader, type Header } from "./frame.js";

/** The one destination subscribers read from, and the one SEND publishes to. */
export const TOPIC = "/topic/messages";
export const APP_CHAT = "/app/chat";

/**
 * A MESSAGE frame: the feed entry's stored JSON, byte for byte as every other transport sends it,
 * with `message-id` the feed id. `subscription` is the client's own id for its subscription.
 */
export function messageFrame(subscription: string, entry: FeedEntry): Buffer {
  const head =
    `MESSAGE\ndestination:${TOPIC}\nsubscription:${escapeHeader(subscription)}\nmessage-id:${entry.message.id}\n` +
    `content-type:application/json\ncontent-length:${entry.bytes}\n\n`;
  return Buffer.from(`${head}${entry.json}\0`);
}

/**
 * The cursor could not be honoured: a MESSAGE on the same subscription whose body is the reset
 * signal the other transports send, marked by an `x-reset` header (and the body's `"type":"reset"`).
 */
export function resetFrame(subscription: string, signal: ResetSignal): Buffer {
  const headers: Header[] = [
    ["destination", TOPIC],
    ["subscription", subscription],
    ["message-id", `reset-${signal.requested}`],
    ["x-reset", signal.reason],
    ["content-type", "application/json"],
  ];
  return encodeFrame("MESSAGE", headers, JSON.stringify(signal));
}

/**
 * The delivery core per subscription id. A MESSAGE frame names the subscription it answers, so its
 * bytes differ between two clients whose ids differ; they are the same for every client with the
 * same id, and in practice that is every client (@stomp/stompjs numbers its subscriptions `sub-0`,
 * `sub-1`, ...). So one `Delivery` per id string, each encoding a message once for all of its
 * subscribers, rather than a prefix/suffix split: that would need the core to write two buffers per
 * message per subscriber and to know that a page is a list of frames. A delivery lives while an id
 * has subscribers; a client that picks a new id per subscription costs one encoding per message
 * and id, as a per-client copy would.
 */
export class StompDeliveries {
  private readonly byId = new Map<string, { delivery: Delivery; users: number }>();

  constructor(
    private readonly deps: Pick<LabDeps, "feed" | "stats" | "config">,
    private readonly transport: StompTransport,
    /** A STOMP frame's bytes as the carrier sends them (a WebSocket text frame, or as they are). */
    private readonly wrap: (frame: Buffer) => Buffer,
  ) {
    deps.stats.addRefresher(() => {
      for (const { delivery } of this.byId.values()) delivery.flushCounts();
    });
  }

  /** Deliver to `sink` after `after` for subscription `id`; `release` once the subscription has closed. */
  subscribe(id: string, sink: Sink, client: string | undefined, after: number | undefined): { subscription: Subscription; release: () => void } {
    let pooled = this.byId.get(id);
    if (pooled === undefined) {
      const wrap = this.wrap;
      const delivery = new Delivery(
        this.deps,
        {
          transport: this.transport,
          message: (entry) => wrap(messageFrame(id, entry)),
          reset: (signal) => wrap(resetFrame(id, signal)),
          // STOMP heart-beats are negotiated per connection (stomp-session.ts), not swept here.
          heartbeat: null,
          preamble: null,
        },
        true,
      );
      pooled = { delivery, users: 0 };
      this.byId.set(id, pooled);
    }
    const entry = pooled;
    entry.users++;
    const subscription = entry.delivery.subscribe(sink, client, after);
    let released = false;
    return {
      subscription,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        // Its subscriptions folded their counts as they closed: nothing is lost with it.
        if (entry.users === 0 && this.byId.get(id) === entry) this.byId.delete(id);
      },
    };
  }
}
