import type { ChatTransport } from "../transports/kinds.js";

/** One line per part of a capture: what the bytes mean. Keyed by a pattern found in the capture. */
export interface WireNote {
  match: RegExp;
  text: string;
}

const COMMON: WireNote[] = [
  { match: /^GET /m, text: "Request line: method, path with the cursor (after=last id seen) and client id, protocol version." },
  { match: /^Host:/im, text: "Host: required by HTTP/1.1; the only header a minimal request must carry." },
  { match: /^HTTP\/1\.1 200/m, text: "Status line: 200 OK, the request was understood." },
  { match: /^cache-control: no-store/im, text: "cache-control: no-store keeps any cache from answering a later poll with stale messages." },
];

const STOMP: WireNote[] = [
  {
    match: /^CONNECT\n|\["CONNECT\\n/m,
    text: "CONNECT (the client's first frame): accept-version lists the STOMP versions it speaks; heart-beat:cx,cy says it can send every cx ms and wants to hear from the server every cy ms.",
  },
  {
    match: /^CONNECTED\n|"CONNECTED\\n/m,
    text: "CONNECTED: the version chosen and the server's heart-beat; each direction then beats at the larger of the two sides' values, an end of line sent when nothing else was.",
  },
  {
    match: /^SUBSCRIBE\n|"SUBSCRIBE\\n/m,
    text: "SUBSCRIBE: destination /topic/messages, id (the client's name for the subscription, echoed on each MESSAGE) and x-after, the lab's resume cursor: the last id the client has.",
  },
  {
    match: /^MESSAGE\n|"MESSAGE\\n/m,
    text: "MESSAGE: destination, subscription, message-id (the feed id), content-type and content-length, a blank line, the message JSON byte for byte as on every transport, then a NUL octet (shown \\0) that ends the frame. These headers are STOMP's cost per message.",
  },
  {
    match: /^81 [89a-f]/m,
    text: "The client's WebSocket frames are masked (second header byte ≥ 0x80, then a 4-byte mask key); the server's are not.",
  },
];

export const WIRE_NOTES: Record<ChatTransport, WireNote[]> = {
  poll: [
    ...COMMON,
    { match: /^content-length:/im, text: "content-length: the whole answer is known before it is sent; one request, one complete answer, empty or not." },
    { match: /"cursor":/, text: "cursor: the id to send as after= in the next poll; every poll pays for a full request and response head." },
  ],
  "long-poll": [
    ...COMMON,
    { match: /timeout=/, text: "timeout=: how long the server may hold the request waiting for a message (0 here, to capture at once)." },
    { match: /^content-length:/im, text: "content-length: like a poll, the answer is complete when sent; the client asks again right away." },
  ],
  stream: [
    ...COMMON,
    { match: /^Transfer-Encoding: chunked/im, text: "Transfer-Encoding: chunked: the body has no end known in advance; it stays open while subscribed." },
    {
      match: /^[0-9a-f]+\r$/im,
      text: "Chunk size line (hex): the byte count of the chunk that follows, then CRLF. This framing is the stream's per-message overhead.",
    },
    { match: /"id":/, text: "One message JSON per line (NDJSON): the newline ends the message, whatever chunks it arrives in." },
  ],
  sse: [
    ...COMMON,
    { match: /^content-type: text\/event-stream/im, text: "content-type: text/event-stream tells EventSource to parse the body as events." },
    { match: /^retry: /m, text: "retry: the reconnection delay EventSource should wait after losing the stream." },
    { match: /^id: /m, text: "id: the browser remembers it and sends it back as Last-Event-ID when it reconnects." },
    { match: /^data: /m, text: "data: the message JSON; the blank line after it ends the event." },
  ],
  ws: [
    { match: /^GET /m, text: "Request line: a plain HTTP GET that asks to change protocol." },
    { match: /^Upgrade: websocket/im, text: "Upgrade / Connection: Upgrade: the client asks to switch this TCP connection to WebSocket." },
    { match: /^Sec-WebSocket-Key:/im, text: "Sec-WebSocket-Key: 16 random bytes (base64) chosen by the client for this handshake." },
    { match: /^HTTP\/1\.1 101/m, text: "101 Switching Protocols: from here on the socket carries WebSocket frames, not HTTP." },
    { match: /^Sec-WebSocket-Accept:/im, text: "Sec-WebSocket-Accept: base64(SHA-1(key + fixed GUID)); proves the server really speaks WebSocket." },
  ],
  "stomp-ws": [
    { match: /^GET \/api\/stomp/m, text: "Request line: the same WebSocket upgrade as the bare WebSocket's, at /api/stomp." },
    {
      match: /^Sec-WebSocket-Protocol: v12\.stomp/im,
      text: "Sec-WebSocket-Protocol: v12.stomp: the client offers STOMP 1.2 as the subprotocol and the 101 confirms it; from then on each WebSocket text frame carries one STOMP frame.",
    },
    ...STOMP,
  ],
  "stomp-sockjs": [
    {
      match: /^GET \/chat\/[^/]+\/[^/]+\/websocket/m,
      text: "/chat/<server>/<session>/websocket: sockjs-client's URL for one session (random server and session ids). Captured over SockJS's websocket transport; xhr-streaming and xhr-polling carry the same frames in HTTP responses (xhr-streaming first sends 2,048 h's, a prelude for old proxies), and the client's frames as xhr_send POST bodies.",
    },
    { match: /^o$/m, text: "o: SockJS's open frame. Its other frames: h, a heartbeat; a[...], messages; c[...], a close." },
    {
      match: /^a\["/m,
      text: "a[...]: the server's frames as a JSON array of strings, and the client's as a bare array: SockJS quotes every STOMP frame (line ends as \\n, quotes as \\\", the NUL as \\u0000), which adds bytes to each message.",
    },
    ...STOMP,
  ],
};
