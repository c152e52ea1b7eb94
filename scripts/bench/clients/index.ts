import type { BenchTransport } from "../transports.js";
import { startPolling } from "./poll.js";
import { startStomp } from "./stomp.js";
import { startStreaming } from "./streaming.js";
import type { Subscriber, SubscriberOptions } from "./subscriber.js";
import { startWebSocket } from "./websocket.js";

export function startSubscriber(transport: BenchTransport, options: SubscriberOptions): Subscriber {
  switch (transport) {
    case "poll":
    case "long-poll":
      return startPolling(options, transport);
    case "stream":
    case "sse":
      return startStreaming(options, transport);
    case "ws":
      return startWebSocket(options);
    case "stomp-ws":
    case "stomp-sockjs":
      return startStomp(options, transport);
  }
}
