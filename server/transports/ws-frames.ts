import * as ws from "ws";

/**
 * A message is framed once (ws's own `Sender.frame`: header and payload) and that Buffer is written
 * straight to every subscriber's TCP socket, as engine.io broadcasts pre-built packets; ws's
 * `send` would frame it again per subscriber. No private field of ws is touched: the socket is the
 * one the upgrade request arrived on, and `Sender` is exported by ws (its type declarations leave
 * it out).
 *
 * Those frames and the ones ws writes itself (acks and errors by `send`, pings, the close frame)
 * reach the socket in the order of the calls only because, without permessage-deflate, ws writes
 * each frame to the socket synchronously: with it, ws queues frames while it compresses and a
 * frame written straight to the socket would overtake them. `assertNoDeflate` checks it where the
 * server is configured; test/server/ws-frames.test.ts checks the order under load.
 */
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
// ws's ESM entry exports Sender by name, its CommonJS one as a property.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** One unmasked, final text frame carrying `text`, as a single Buffer. */
export function textFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }));
}

/** Pre-framed writes and ws's own frames stay in order only without compression (see above). */
export function assertNoDeflate(options: { perMessageDeflate?: unknown }): void {
  if (options.perMessageDeflate !== false) throw new Error("pre-framed WebSocket writes need perMessageDeflate: false (ws-frames.ts)");
}
