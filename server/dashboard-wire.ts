import { createHash, randomBytes } from "node:crypto";
import { connect, type AddressInfo } from "node:net";
import { subscribePath } from "../protocol/endpoints.js";
import type { StompTransport, Transport } from "../protocol/types.js";
import type { StompWireStep } from "./dashboard-wire-stomp.js";
import type { SelfCaptures } from "./metering/self-capture.js";
import { type BodyFormat, type ByteShare, bodyShare, headShare, wsFrameShare } from "./wire-shares.js";

/**
 * "Under the hood": the server opens a real TCP connection to itself, sends one subscribe request
 * and records every byte that goes each way. Nothing here is hard-coded text; what the dashboard
 * shows is what this server actually read and wrote for that request.
 */
export interface WireCapture {
  transport: Transport | StompTransport;
  /** The exact request bytes sent (text; every byte of a request here is ASCII). */
  request: string;
  /** The exact response bytes read, decoded as UTF-8, up to the first message (or the byte cap). */
  response: string;
  /** True when the capture stopped at the byte cap or the time limit. */
  truncated: boolean;
  /** WebSocket only: the handshake check and the first frame's header bytes. */
  websocket?: { key: string; accept: string | null; expectedAccept: string; firstFrame: FirstFrame | null };
  /** STOMP only: each WebSocket frame of CONNECT, CONNECTED, SUBSCRIBE and the first MESSAGE, in order. */
  stomp?: { steps: StompWireStep[] };
  /** Headers, framing and payload of the request, the response head and (HTTP transports) the body, counted on the captured bytes. */
  shares: { request: ByteShare; head: ByteShare; body?: ByteShare };
}

export interface WsFrameSummary {
  /** The frame's header bytes in hex: FIN/opcode byte, length byte(s), no mask (server frames are unmasked). */
  headerHex: string;
  fin: boolean;
  opcode: number;
  payloadLength: number;
  payload: string;
}

/** The first frame of a capture, with how its bytes split (wire-shares.ts). */
export interface FirstFrame extends WsFrameSummary {
  share: ByteShare;
}

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_BYTES = 16 * 1024;
const TIME_LIMIT_MS = 1_500;

/** Where the capture connects: the server's own listening address. */
export function selfAddress(address: AddressInfo | string | null): { host: string; port: number } | null {
  if (address === null || typeof address === "string") return null;
  const host = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  return { host, port: address.port };
}

/** Capture one exchange for `transport`, resuming one message before `lastId` so one message is shown. */
export async function captureWire(
  transport: Transport,
  target: { host: string; port: number },
  after: number | undefined,
  captures: SelfCaptures,
): Promise<WireCapture> {
  const path = subscribePath(transport, { after, client: captures.client, timeoutMs: 0 });
  const hostHeader = target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostHeader}`, "User-Agent: transport-lab-wire-capture"];
  let key = "";
  if (transport === "ws") {
    key = randomBytes(16).toString("base64");
    lines.push("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", `Sec-WebSocket-Key: ${key}`);
  } else {
    lines.push(`Accept: ${ACCEPT[transport]}`, "Connection: close");
  }
  const request = lines.join("\r\n") + "\r\n\r\n";
  const { bytes, truncated } = await exchange(target, request, captures, (received) => complete(transport, received, after !== undefined));
  const capture: WireCapture = {
    transport,
    request,
    response: bytes.toString("utf8"),
    truncated,
    shares: responseShares(request, bytes, BODY_FORMAT[transport]),
  };
  if (transport === "ws") capture.websocket = describeWs(key, bytes);
  return capture;
}

const BODY_FORMAT: Record<Transport, BodyFormat | null> = {
  poll: "json-page",
  "long-poll": "json-page",
  stream: "ndjson",
  sse: "sse",
  ws: null, // frames, not a body: the first frame has its own share
};

/** The request and the response head are headers; an HTTP body splits by its format. */
export function responseShares(request: string, bytes: Buffer, format: BodyFormat | null): WireCapture["shares"] {
  const headEnd = bytes.indexOf("\r\n\r\n");
  const head = headEnd === -1 ? bytes : bytes.subarray(0, headEnd + 4);
  const shares: WireCapture["shares"] = { request: headShare(request), head: headShare(head) };
  const body = headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  if (format !== null && body.length > 0) shares.body = bodyShare(body, format, /^transfer-encoding:\s*chunked\r?$/im.test(head.toString("latin1")));
  return shares;
}

const ACCEPT: Record<Transport, string> = {
  poll: "application/json",
  "long-poll": "application/json",
  stream: "application/x-ndjson",
  sse: "text/event-stream",
  ws: "*/*",
};

/** Enough has arrived: the whole answer (poll), or the head plus the first message (held transports). */
function complete(transport: Transport, received: Buffer, expectMessage: boolean): boolean {
  const headEnd = received.indexOf("\r\n\r\n");
  if (headEnd === -1) return false;
  const body = received.subarray(headEnd + 4).toString("utf8");
  switch (transport) {
    case "poll":
    case "long-poll":
      return false; // `Connection: close`: the server ends the exchange
    case "stream":
      return !expectMessage || /"id":/.test(body);
    case "sse":
      return !expectMessage || /\ndata: [^\n]*\n\n/.test(`\n${body}`);
    case "ws":
      return !expectMessage || received.length > headEnd + 4 + 2;
  }
}

function exchange(
  target: { host: string; port: number },
  request: string,
  captures: SelfCaptures,
  done: (received: Buffer) => boolean,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, target.host);
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (truncated: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: received, truncated });
    };
    const timer = setTimeout(() => finish(true), TIME_LIMIT_MS);
    socket.on("connect", () => {
      captures.track(socket);
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= MAX_BYTES) finish(true);
      else if (done(received)) finish(false);
    });
    socket.on("end", () => finish(false));
    socket.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function describeWs(key: string, bytes: Buffer): NonNullable<WireCapture["websocket"]> {
  const expectedAccept = createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
  const headEnd = bytes.indexOf("\r\n\r\n");
  const head = headEnd === -1 ? bytes.toString("utf8") : bytes.subarray(0, headEnd).toString("utf8");
  const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1] ?? null;
  const frame = headEnd === -1 ? null : parseServerFrame(bytes.subarray(headEnd + 4));
  const firstFrame = frame === null ? null : { ...frame, share: wsFrameShare(frame.headerHex.split(" ").length, frame.payload) };
  return { key, accept, expectedAccept, firstFrame };
}

/** RFC 6455 section 5.2 frame header, for an unmasked server-to-client frame. */
export function parseServerFrame(bytes: Buffer): WsFrameSummary | null {
  if (bytes.length < 2) return null;
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  let length = second & 0x7f;
  let headerLength = 2;
  if (length === 126) {
    if (bytes.length < 4) return null;
    length = bytes.readUInt16BE(2);
    headerLength = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return null;
    length = Number(bytes.readBigUInt64BE(2));
    headerLength = 10;
  }
  const payload = bytes.subarray(headerLength, headerLength + length).toString("utf8");
  return {
    headerHex: bytes.subarray(0, headerLength).toString("hex").replace(/(..)/g, "$1 ").trim(),
    fin: (first & 0x80) !== 0,
    opcode: first & 0x0f,
    payloadLength: length,
    payload,
  };
}
