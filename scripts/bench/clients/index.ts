import type { Transport } from "../../../protocol/types.js";
import { startPolling } from "./poll.js";
import { startStreaming } from "./streaming.js";
import type { Subscriber, SubscriberOptions } from "./subscriber.js";
import { startWebSocket } from "./websocket.js";

export function startSubscriber(transport: Transport, options: SubscriberOptions): Subscriber {
  switch (transport) {
    case "poll":
    case "long-poll":
      return startPolling(options, transport);
    case "stream":
    case "sse":
      return startStreaming(options, transport);
    case "ws":
      return startWebSocket(options);
  }
}
