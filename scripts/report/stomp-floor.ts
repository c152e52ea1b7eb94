import type { SockjsSubTransport, StompTransport } from "../../protocol/types.js";
import type { Bytes } from "../bench/results.js";

/**
 * The framing floor of STOMP 1.2 and of SockJS around it (see model.ts for the floor itself).
 *
 * STOMP: a MESSAGE frame is its command line, the three headers 1.2 requires of it (`destination`,
 * `subscription`, `message-id`: the feed id) and the two it says a frame with a body should carry
 * (`content-type`, `content-length`), an empty line, the message JSON and a NUL. The subscription
 * id is `sub-0`, what @stomp/stompjs names a client's first subscription. Over `/api/stomp` the
 * frame is one WebSocket text frame.
 *
 * SockJS (protocol 0.3, as the `sockjs` package speaks it): every message is a JSON string in an
 * array frame, `a["..."]`, so the STOMP frame's line ends become `\n` and its NUL `\u0000`, and each
 * quote in the message JSON is escaped. The array frame then travels as the sub-transport carries it:
 * - websocket: one WebSocket text frame per array frame;
 * - xhr-streaming: a line (`a[...]` and LF) per array frame, one HTTP chunk each, in a POST whose
 *   answer first carries the 2,048 `h` and LF prelude the protocol requires (each new streaming
 *   request repeats it: the server ends a stream after 128 KiB and the client opens another);
 * - eventsource: `data: a[...]` and two CRLFs per array frame, one chunk each, after a CRLF prelude;
 * - xhr-polling: one POST per poll, answered with every queued message in one array frame
 *   (`a["...","..."]` and LF): per message its quoted string and a comma, per answer the envelope,
 *   as a poll answer is modelled for the five.
 * The session path is `/chat/<3-digit server>/<8-character session>/<transport>`, the shortest
 * sockjs-client makes. What heart-beats (STOMP's end-of-line, SockJS's `h` frame), the open frame,
 * the `info` request and `xhr_send` requests (a client heart-beat over an XHR sub-transport) cost is
 * above the floor, as heartbeats are for SSE; a send request is floored as a poll would be.
 */

export const STOMP_TOPIC = "/topic/messages";
/** What @stomp/stompjs names a client's first subscription. */
export const STOMP_SUBSCRIPTION = "sub-0";
export const SOCKJS_SESSION_PATH = "/chat/000/abcdefgh";
/** xhr-streaming's prelude: 2,048 `h` and an LF, before anything else on each streaming response. */
export const XHR_STREAMING_PRELUDE = 2_049;

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

/** The MESSAGE frame the floor counts for a message whose JSON is `json` and feed id `id`. */
export function stompMessageFrame(json: string, id: number): string {
  return (
    `MESSAGE\ndestination:${STOMP_TOPIC}\nsubscription:${STOMP_SUBSCRIPTION}\nmessage-id:${id}\n` +
    `content-type:application/json\ncontent-length:${byteLength(json)}\n\n${json}\0`
  );
}

/** SockJS's array frame around `messages`: `a` and the JSON array of their strings. */
export function sockjsArrayFrame(messages: readonly string[]): string {
  return `a${JSON.stringify(messages)}`;
}

/**
 * A message's JSON of `n` bytes with the fewest quotes a chat message has (the keys `id`, `from`,
 * `text`, `time` and the two string values): SockJS escapes each quote, so a shapeless string of
 * the same length would floor it too low.
 */
export function chatShapedJson(n: number, id: number): string {
  const head = `{"id":${id},"from":"","text":"`;
  const tail = `","time":${Math.floor(id / 1000)}}`;
  return `${head}${"x".repeat(Math.max(0, Math.round(n) - head.length - tail.length))}${tail}`;
}

/** What the floor needs of the run: the carrier's own framings are passed in from model.ts. */
export interface StompFloorInput {
  /** Mean size of a message's JSON. */
  jsonBytes: number;
  sampleId: number;
  host: string;
  sockjs: SockjsSubTransport;
  wsHeader: (n: number) => number;
  chunkFraming: (n: number) => number;
}

/** Bytes one delivered message costs on the way down, apart from its request. */
export function stompMessageFloor(transport: StompTransport, input: StompFloorInput): number {
  const frame = stompMessageFrame(chatShapedJson(input.jsonBytes, input.sampleId), input.sampleId);
  if (transport === "stomp-ws") return byteLength(frame) + input.wsHeader(byteLength(frame));
  const array = byteLength(sockjsArrayFrame([frame]));
  switch (input.sockjs) {
    case "websocket":
      return array + input.wsHeader(array);
    case "xhr-streaming":
      return array + 1 + input.chunkFraming(array + 1);
    case "eventsource": {
      const event = byteLength(`data: ${sockjsArrayFrame([frame])}\r\n\r\n`);
      return event + input.chunkFraming(event);
    }
    case "xhr-polling":
      return byteLength(JSON.stringify(frame)) + 1;
  }
}

/** The minimal HTTP/1.1 exchange that opens one STOMP WebSocket, one SockJS stream or one SockJS poll. */
export function stompExchangeFloor(transport: StompTransport, input: Omit<StompFloorInput, "jsonBytes" | "wsHeader">): Bytes {
  const host = `Host: ${input.host}\r\n`;
  const upgrade = (path: string, protocol: string): Bytes => ({
    up: byteLength(
      `GET ${path} HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${"k".repeat(24)}\r\nSec-WebSocket-Version: 13\r\n${protocol}\r\n`,
    ),
    down: byteLength(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${"a".repeat(28)}\r\n${protocol}\r\n`,
    ),
  });
  if (transport === "stomp-ws") return upgrade("/api/stomp", "Sec-WebSocket-Protocol: v12.stomp\r\n");
  const post = (segment: string): number => byteLength(`POST ${SOCKJS_SESSION_PATH}/${segment} HTTP/1.1\r\n${host}\r\n`);
  switch (input.sockjs) {
    case "websocket":
      return upgrade(`${SOCKJS_SESSION_PATH}/websocket`, "");
    case "xhr-streaming":
      return {
        up: post("xhr_streaming"),
        down: byteLength("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + XHR_STREAMING_PRELUDE + input.chunkFraming(XHR_STREAMING_PRELUDE),
      };
    case "eventsource":
      return {
        up: byteLength(`GET ${SOCKJS_SESSION_PATH}/eventsource HTTP/1.1\r\n${host}\r\n`),
        down: byteLength("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n") + 2 + input.chunkFraming(2),
      };
    case "xhr-polling": {
      const envelope = "a[]\n";
      return { up: post("xhr"), down: byteLength(`HTTP/1.1 200 OK\r\nContent-Length: ${envelope.length}\r\n\r\n${envelope}`) };
    }
  }
}
