import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import type { StompTransport } from "../protocol/types.js";
import { describeWs, parseServerFrame, responseShares, type WireCapture } from "./dashboard-wire.js";
import type { SelfCaptures } from "./metering/self-capture.js";
import { type ByteShare, stompFrameShare } from "./wire-shares.js";

/**
 * "Under the hood" for STOMP: the server connects to itself as @stomp/stompjs does (over a plain
 * WebSocket at /api/stomp, or over SockJS's websocket transport at /chat), sends CONNECT, then
 * SUBSCRIBE one message back, and records each WebSocket frame both ways: the CONNECT/CONNECTED
 * exchange and a MESSAGE, byte for byte.
 */
export interface StompWireStep {
  from: "client" | "server";
  /** The WebSocket frame header in hex; a client's is masked, so its last 4 bytes are the mask key. */
  headerHex: string;
  /** The frame's payload as sent (unmasked): a STOMP frame, inside SockJS's framing over /chat. */
  payload: string;
  /** How the frame's bytes (header included) split into STOMP headers, framing and body (wire-shares.ts). */
  share: ByteShare;
}

const TIME_LIMIT_MS = 1_500;
const MAX_BYTES = 16 * 1024;
/** What @stomp/stompjs sends by default; the server answers with its own and they are negotiated. */
const CLIENT_HEART_BEAT = "10000,10000";
const TOPIC = "/topic/messages";

export async function captureStompWire(
  transport: StompTransport,
  target: { host: string; port: number },
  after: number | undefined,
  captures: SelfCaptures,
): Promise<WireCapture> {
  const query = `?client=${captures.client}`;
  // SockJS's URL: /<prefix>/<server id>/<session id>/websocket, as sockjs-client builds it.
  const path = transport === "stomp-ws" ? `/api/stomp${query}` : `/chat/000/${randomBytes(4).toString("hex")}/websocket${query}`;
  const hostHeader = target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const key = randomBytes(16).toString("base64");
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostHeader}`,
    "User-Agent: transport-lab-wire-capture",
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Key: ${key}`,
  ];
  // stompjs offers the STOMP versions as subprotocols; SockJS's websocket carries no subprotocol.
  if (transport === "stomp-ws") lines.push("Sec-WebSocket-Protocol: v12.stomp");
  const request = lines.join("\r\n") + "\r\n\r\n";
  // SockJS wraps what the client sends in a JSON array of strings, and what it receives in `a[...]`.
  const wrap = (frame: string): string => (transport === "stomp-sockjs" ? JSON.stringify([frame]) : frame);

  const session = new Session(target, captures);
  const steps: StompWireStep[] = [];
  let truncated = true;
  try {
    await session.opened;
    session.write(Buffer.from(request));
    const headEnd = await session.until(() => {
      const end = session.received.indexOf("\r\n\r\n");
      return end === -1 ? undefined : end + 4;
    });
    if (headEnd !== undefined && /^HTTP\/1\.1 101/.test(session.received.toString("latin1"))) {
      session.offset = headEnd;
      const next = async (): Promise<boolean> => {
        const step = await session.until(() => session.nextFrame(transport === "stomp-sockjs"));
        if (step !== undefined) steps.push(step);
        return step !== undefined;
      };
      const send = (frame: string): void => {
        const { bytes, step } = maskedTextFrame(wrap(frame), transport === "stomp-sockjs");
        steps.push(step);
        session.write(bytes);
      };
      // SockJS opens with its own `o` frame before anything else.
      if (transport === "stomp-ws" || (await next())) {
        send(`CONNECT\naccept-version:1.2\nheart-beat:${CLIENT_HEART_BEAT}\n\n\0`);
        if (await next()) {
          const subscribe = `SUBSCRIBE\n${after === undefined ? "" : `x-after:${after}\n`}id:sub-0\ndestination:${TOPIC}\n\n\0`;
          send(subscribe);
          if (after === undefined || (await next())) truncated = false;
        }
      }
    }
  } finally {
    session.close();
  }
  const bytes = session.received;
  const headEnd = bytes.indexOf("\r\n\r\n");
  return {
    transport,
    request,
    response: headEnd === -1 ? bytes.toString("utf8") : bytes.subarray(0, headEnd + 4).toString("utf8"),
    truncated,
    websocket: describeWs(key, bytes),
    stomp: { steps },
    shares: responseShares(request, bytes, null),
  };
}

/** A client frame: FIN + text opcode, the MASK bit, the length, a random mask key, the masked payload (RFC 6455 5.3). */
function maskedTextFrame(text: string, sockjs: boolean): { bytes: Buffer; step: StompWireStep } {
  const payload = Buffer.from(text);
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x81, 0x80 | length]) : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  const header = Buffer.concat([head, mask]);
  return {
    bytes: Buffer.concat([header, masked]),
    step: { from: "client", headerHex: hex(header), payload: text, share: stompFrameShare(header.length, text, sockjs) },
  };
}

function hex(bytes: Buffer): string {
  return bytes.toString("hex").replace(/(..)/g, "$1 ").trim();
}

/** One capture connection: bytes as they come, read in order, with a deadline over the whole exchange. */
class Session {
  received = Buffer.alloc(0);
  /** Where the next unread server frame starts. */
  offset = 0;
  readonly opened: Promise<void>;
  private readonly socket: Socket;
  private wake: (() => void) | undefined;
  private done = false;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(target: { host: string; port: number }, captures: SelfCaptures) {
    const socket = connect(target.port, target.host);
    this.socket = socket;
    this.opened = new Promise((resolve, reject) => {
      socket.once("connect", () => {
        captures.track(socket);
        resolve();
      });
      socket.once("error", reject);
    });
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      if (this.received.length >= MAX_BYTES) this.finish();
      this.wake?.();
    });
    socket.on("close", () => this.finish());
    socket.on("error", () => this.finish());
    this.timer = setTimeout(() => this.finish(), TIME_LIMIT_MS);
  }

  write(bytes: Buffer): void {
    if (!this.done) this.socket.write(bytes);
  }

  /** Wait until `read` finds what it wants in the bytes so far; undefined at the deadline or on close. */
  async until<T>(read: () => T | undefined): Promise<T | undefined> {
    for (;;) {
      const value = read();
      if (value !== undefined || this.done) return value;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** The next whole server frame after `offset`, if it has arrived. */
  nextFrame(sockjs: boolean): StompWireStep | undefined {
    const frame = parseServerFrame(this.received.subarray(this.offset));
    if (frame === null) return undefined;
    const headerLength = frame.headerHex.split(" ").length;
    if (this.received.length < this.offset + headerLength + frame.payloadLength) return undefined;
    this.offset += headerLength + frame.payloadLength;
    return { from: "server", headerHex: frame.headerHex, payload: frame.payload, share: stompFrameShare(headerLength, frame.payload, sockjs) };
  }

  close(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.wake?.();
  }
}
