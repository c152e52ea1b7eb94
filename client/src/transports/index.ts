import type { SockjsSubTransport } from "../../../protocol/types.js";
import type { ChatTransport } from "./kinds.js";
import { LongPollTransport } from "./long-poll.js";
import { PollTransport } from "./poll.js";
import { SseTransport } from "./sse.js";
import { StompSockjsTransport, StompWsTransport } from "./stomp.js";
import { StreamTransport } from "./stream.js";
import type { TransportClient, TransportOptions } from "./transport.js";
import { WsTransport } from "./ws.js";

export { PollTransport, LongPollTransport, StreamTransport, SseTransport, WsTransport, StompWsTransport, StompSockjsTransport };
export type { TransportClient, TransportOptions, TransportState } from "./transport.js";

export interface CreateOptions extends TransportOptions {
  /** STOMP over SockJS only: the one SockJS sub-transport to use (websocket when absent). */
  sockjsTransport?: SockjsSubTransport;
}

export function createTransport(kind: ChatTransport, options: CreateOptions): TransportClient {
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
    case "stomp-ws":
      return new StompWsTransport(options);
    case "stomp-sockjs":
      return new StompSockjsTransport({ ...options, sockjsTransport: options.sockjsTransport ?? "websocket" });
  }
}
