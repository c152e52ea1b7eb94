import type { Transport } from "../../../protocol/types.js";
import { LongPollTransport } from "./long-poll.js";
import { PollTransport } from "./poll.js";
import { SseTransport } from "./sse.js";
import { StreamTransport } from "./stream.js";
import type { TransportClient, TransportOptions } from "./transport.js";
import { WsTransport } from "./ws.js";

export { PollTransport, LongPollTransport, StreamTransport, SseTransport, WsTransport };
export type { TransportClient, TransportOptions, TransportState } from "./transport.js";

export function createTransport(kind: Transport, options: TransportOptions): TransportClient {
  switch (kind) {
    case "poll":
      return new PollTransport(options);
    case "long-poll":
      return new LongPollTransport(options);
    case "stream":
      return new StreamTransport(options);
    case "sse":
      return new SseTransport(options);
    case "ws":
      return new WsTransport(options);
  }
}
