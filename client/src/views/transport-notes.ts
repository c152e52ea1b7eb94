import type { ChatTransport } from "../transports/kinds.js";

/** What a transport card says in words; its measured figures come from the benchmark runs. */
export interface TransportNote {
  how: string;
  choose: string;
  limits: string[];
}

const SIX =
  "On HTTP/1.1 a browser opens at most six connections to one host, and a held response keeps its connection for as long as it is open: a seventh tab or subscription waits (see Six connections). Over HTTP/2 they share one connection.";
const BUFFERING =
  "Proxies, corporate middleboxes and some antivirus software buffer responses: events then arrive late or in bursts. The lab sends X-Accel-Buffering: no and no compression by default, which helps with nginx but is no guarantee.";

export const TRANSPORT_NOTES: Record<ChatTransport, TransportNote> = {
  poll: {
    how: "The browser asks “anything after message #id?” on a timer (every second here by default) and the server answers at once, with the new messages or an empty list. Every question is a complete HTTP request and response.",
    choose:
      "Updates are rare or may wait a whole interval, answers can be cached, or only plain request and response get through (strict proxies, functions that cannot hold a request open).",
    limits: [
      "A message waits up to one interval before anyone asks for it.",
      "Each poll pays a full request and response head even when nothing is new: idle clients cost bytes and server CPU, and a shorter interval multiplies both.",
      "Each poll in flight takes one of the browser's six HTTP/1.1 connections to the host, briefly.",
    ],
  },
  "long-poll": {
    how: "The browser asks the same question, but the server holds the request until a message exists (or a timeout, 25 s here) and then answers; the browser asks again at once, from the last id it got.",
    choose: "Near-real-time delivery where only plain HTTP works (proxies or firewalls that cut streams and upgrades), at modest message rates.",
    limits: [
      "One request and one response head per delivery (or per batch): the cost grows with the message rate.",
      "A message published between an answer and the next request waits for that round trip.",
      "The held request takes one of the browser's six HTTP/1.1 connections to the host.",
      "Proxies and load balancers whose idle timeout is shorter than the hold cut it.",
    ],
  },
  stream: {
    how: "One fetch request whose response does not end: the server writes one JSON line per message as it happens (NDJSON, in HTTP/1.1 chunks or HTTP/2 DATA frames) and a heartbeat line while idle; the page reads the body as it arrives.",
    choose:
      "A one-way feed on one connection with no request per message, when you want fetch's control (request headers such as Authorization, a POST body) that EventSource does not give.",
    limits: [SIX, BUFFERING, "No reconnection or resume built in: the page reconnects with its cursor itself (the lab does). Sending needs separate requests."],
  },
  sse: {
    how: "EventSource opens one GET for text/event-stream; the server writes an event per message (id:, data:, a blank line) and a comment while idle. The browser parses the events, reconnects by itself after a drop (after retry: ms) and sends Last-Event-ID so the server resumes.",
    choose:
      "Server-to-client updates (feeds, notifications, progress) with reconnection and resume done by the browser, over plain HTTP; over HTTP/2 many streams share one connection.",
    limits: [
      "One-way: there is no client-to-server channel; the page sends with separate requests (here POST /api/messages).",
      SIX,
      BUFFERING,
      "EventSource cannot set request headers (no Authorization header: cookies or the query string only), and carries UTF-8 text only.",
    ],
  },
  ws: {
    how: "An HTTP GET with Upgrade: websocket turns the TCP connection into a two-way channel of frames with a 2 to 14 byte header each; either side sends whenever it likes, and pings keep the connection alive.",
    choose: "Two-way, low-latency traffic (chat, games, shared editing) and high message rates, where a few bytes per message matter.",
    limits: [
      "Some proxies and corporate firewalls block the upgrade or cut long idle connections; load balancers must pass upgrades and hold connections.",
      "No reconnection, resume or acknowledgement built in: the application adds them (the lab sends acks and resumes from a cursor).",
      "Browsers open a separate HTTP/1.1 connection for it even from an HTTP/2 page, unless the server offers RFC 8441 (this one does not).",
    ],
  },
  "stomp-ws": {
    how: "STOMP 1.2, a small text messaging protocol (CONNECT, SUBSCRIBE, SEND, MESSAGE frames with headers, a bit like HTTP for messages), one frame per WebSocket message: the page subscribes to /topic/messages and sends to /app/chat.",
    choose:
      "A broker-style API (destinations, subscriptions, receipts, heart-beats) or a client and server that already speak it: Spring's WebSocket messaging, RabbitMQ's or ActiveMQ's STOMP.",
    limits: [
      "Everything that limits a WebSocket applies.",
      "Each MESSAGE carries a header block (destination, subscription, message-id, content-type, content-length) on top of the WebSocket frame.",
      "Resuming after a reconnect is not part of STOMP: the lab's x-after header is its own extension.",
    ],
  },
  "stomp-sockjs": {
    how: 'The same STOMP frames over SockJS, a library that emulates a WebSocket: a real WebSocket when it can, else HTTP streaming (xhr-streaming, eventsource) or long polling (xhr-polling), each frame quoted inside a JSON array (a["..."]). Chat\'s switcher picks the SockJS transport.',
    choose: "STOMP for browsers behind proxies that refuse WebSocket upgrades, or a Spring application that already uses withSockJS().",
    limits: [
      "The quoting adds bytes to every message (escaped line ends and the NUL), and each fallback brings its own costs and limits: the six-connection limit for the streaming ones, a request per delivery for xhr-polling.",
      "Behind a load balancer, a session's requests must reach the same server (sticky sessions).",
      "HTTP/1.1 only here: on a page served over HTTP/2 it is disabled.",
    ],
  },
};
