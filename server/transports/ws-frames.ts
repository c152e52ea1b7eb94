import type { Socket } from "node:net";
import * as ws from "ws";
import type { WebSocket } from "ws";

/**
 * The one place the lab reaches into ws's private parts, and why. A message is framed once (ws's
 * own `Sender.frame`: header and payload) and that Buffer is written to every subscriber, as
 * engine.io broadcasts pre-built packets; ws's public `send` would frame it again per subscriber.
 * Writing through the socket's own `_sender.sendFrame` keeps those frames in one queue with
 * everything else ws sends on the socket (acks and errors by `send`, pings, the close frame), so
 * the order on the wire is the order of the calls.
 *
 * That holds only without permessage-deflate: with it, ws queues frames while it compresses and a
 * frame written straight to the sender would overtake them. `assertNoDeflate` checks it where the
 * server is configured; test/server/ws-frames.test.ts checks the order under load.
 */
interface WsInternals {
  _sender: { sendFrame(list: Buffer[], cb?: (error?: Error) => void): void };
  _socket: Socket;
}

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
// ws's types omit `Sender`; its ESM entry exports it by name, its CommonJS one as a property.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** One unmasked, final text frame carrying `text`, as a single Buffer. */
export function textFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }));
}

/** Write a frame built by `textFrame` to `socket`, in order with everything else ws sends on it. */
export function writeFrame(socket: WebSocket, frame: Buffer): void {
  (socket as unknown as WsInternals)._sender.sendFrame([frame]);
}

/** The TCP socket under a WebSocket: its `drain` and `writableNeedDrain` pace the catch-up. */
export function tcpSocket(socket: WebSocket): Socket {
  return (socket as unknown as WsInternals)._socket;
}

/** Pre-framed writes and ws's own queue stay in order only without compression (see above). */
export function assertNoDeflate(options: { perMessageDeflate?: unknown }): void {
  if (options.perMessageDeflate !== false) throw new Error("pre-framed WebSocket writes need perMessageDeflate: false (ws-frames.ts)");
}
