import { randomBytes } from "node:crypto";
import net from "node:net";

/**
 * A WebSocket client written on a bare `net.Socket`, for tests that must control every byte: cut a
 * connection in the middle of a frame, send frames a well-behaved library never would (unmasked,
 * fragmented controls, bad opcodes, bad close codes) and read exactly what the server answers.
 */

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WsFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

export interface ClientFrameOptions {
  opcode: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV1..3 as bits 0b100, 0b010, 0b001. */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame, a protocol error. */
  mask?: boolean;
}

/** One client-to-server frame, as RFC 6455 section 5.2 lays it out. */
export function encodeClientFrame({ opcode, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true }: ClientFrameOptions): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const length = data.length;
  const extra = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + extra + (mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 0b111) << 4) | (opcode & 0x0f);
  const lengthCode = extra === 0 ? length : extra === 2 ? 126 : 127;
  header[1] = (mask ? 0x80 : 0) | lengthCode;
  if (extra === 2) header.writeUInt16BE(length, 2);
  if (extra === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([header, data]);
  const key = randomBytes(4);
  key.copy(header, 2 + extra);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (data[i] ?? 0) ^ (key[i % 4] ?? 0);
  return Buffer.concat([header, masked]);
}

/** A close frame's payload: the code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ""): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** Incremental parser of server-to-client frames (never masked), correct at any chunk boundary. */
export class WsFrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): WsFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: WsFrame[] = [];
    for (;;) {
      if (this.buffer.length < 2) break;
      const first = this.buffer[0] ?? 0;
      const second = this.buffer[1] ?? 0;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) break;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) break;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) break;
      frames.push({
        fin: (first & 0x80) !== 0,
        rsv: (first >> 4) & 0b111,
        opcode: first & 0x0f,
        payload: this.buffer.subarray(offset, offset + length),
      });
      this.buffer = this.buffer.subarray(offset + length);
    }
    return frames;
  }
}

export interface RawWs {
  socket: net.Socket;
  /** The status line and headers of the handshake answer. */
  head: string;
  status: number;
  /** Bytes after the handshake head (the start of the first frames, or of a refusal's body). */
  rest: Buffer;
}

/** Open a TCP connection and do the opening handshake; resolves with the answer, whatever its status. */
export function rawWsConnect(port: number, path: string, headers: Record<string, string> = {}): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no handshake answer for ${path}`));
    }, 5_000);
    socket.once("connect", () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
        "Sec-WebSocket-Version: 13",
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      const head = received.subarray(0, end).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ socket, head, status, rest: received.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export interface WsConversation {
  frames: WsFrame[];
  /** The server's close frame, if one came. */
  closeCode: number | undefined;
  closeReason: string | undefined;
  /** True once the server has closed the TCP connection. */
  ended: boolean;
  send(frame: ClientFrameOptions): void;
  sendRaw(bytes: Buffer): void;
  /** Resolves once `check` holds over what was received, or rejects after `timeoutMs`. */
  until(check: (conversation: WsConversation) => boolean, what: string, timeoutMs?: number): Promise<void>;
  destroy(): void;
}

/** Handshake, then collect every frame the server sends; answers nothing by itself. */
export async function openConversation(port: number, path = "/api/ws", headers: Record<string, string> = {}): Promise<WsConversation> {
  const { socket, status, head, rest } = await rawWsConnect(port, path, headers);
  if (status !== 101) {
    socket.destroy();
    throw new Error(`expected 101, got: ${head}`);
  }
  const reader = new WsFrameReader();
  const listeners = new Set<() => void>();
  const conversation: WsConversation = {
    frames: [],
    closeCode: undefined,
    closeReason: undefined,
    ended: false,
    send: (frame) => socket.write(encodeClientFrame(frame)),
    sendRaw: (bytes) => socket.write(bytes),
    until: (check, what, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        const test = (): void => {
          if (!check(conversation)) return;
          clearTimeout(timer);
          listeners.delete(test);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(test);
          reject(
            new Error(
              `timed out waiting for ${what}; frames: ${conversation.frames.map((f) => `${f.opcode}:${f.payload.toString().slice(0, 80)}`).join(" | ")}`,
            ),
          );
        }, timeoutMs);
        listeners.add(test);
        test();
      }),
    destroy: () => socket.destroy(),
  };
  const take = (chunk: Buffer): void => {
    for (const frame of reader.push(chunk)) {
      conversation.frames.push(frame);
      if (frame.opcode === OP.close && conversation.closeCode === undefined) {
        conversation.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        conversation.closeReason = frame.payload.subarray(2).toString();
      }
    }
    for (const listener of [...listeners]) listener();
  };
  socket.on("data", take);
  socket.on("error", () => undefined);
  socket.once("close", () => {
    conversation.ended = true;
    for (const listener of [...listeners]) listener();
  });
  if (rest.length > 0) take(rest);
  socket.resume();
  return conversation;
}

/** The JSON text frames received, parsed. */
export function textFrames(conversation: WsConversation): unknown[] {
  return conversation.frames.filter((f) => f.opcode === OP.text).map((f) => JSON.parse(f.payload.toString()) as unknown);
}
