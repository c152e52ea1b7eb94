import zlib from "node:zlib";
import * as ws from "ws";
import { type LabConfig, wsDeflateContext } from "../config.js";

/**
 * A message is framed once (ws's own `Sender.frame`: header and payload) and that Buffer is written
 * straight to every subscriber's TCP socket, as engine.io broadcasts pre-built packets; ws's
 * `send` would frame it again per subscriber. No private field of ws is touched: the socket is the
 * one the upgrade request arrived on, and `Sender` is exported by ws (its type declarations leave
 * it out).
 *
 * Those frames and the ones ws writes itself (pings, the close frame) reach the socket in the order
 * of the calls only because ws writes each frame to the socket synchronously, which it does as long
 * as it never compresses: ws queues every frame behind a message it is deflating, and a frame
 * written straight to the socket would overtake them. So the lab never calls ws's `send` on these
 * sockets, and with permessage-deflate on it compresses the messages itself, once per message for
 * every subscriber: that is only possible with `server_no_context_takeover` (each message is
 * compressed on its own, so its bytes do not depend on what a connection received before) and one
 * window size for all (ws refuses an offer asking for a smaller one). `wsDeflateOptions` gives ws
 * exactly that and `assertOrderedDeflate` checks it where the server is configured;
 * test/server/ws-frames.test.ts checks the order under load.
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

/** The empty stored block a sync flush ends with, which RFC 7692 (7.2.1) has the sender remove. */
const SYNC_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * One final text frame carrying `text` compressed on its own (RSV1 set), readable by any peer that
 * negotiated permessage-deflate with `server_no_context_takeover` and a window of `windowBits`. A
 * message that compression would not shrink goes uncompressed, as RFC 7692 allows per message.
 */
export function deflatedTextFrame(text: string, windowBits: number): Buffer {
  const raw = Buffer.from(text);
  const deflated = zlib.deflateRawSync(raw, { windowBits, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const payload = deflated.subarray(deflated.length - 4).equals(SYNC_TRAILER) ? deflated.subarray(0, deflated.length - 4) : deflated;
  if (payload.length >= raw.length) return textFrame(text);
  return Buffer.concat(Sender.frame(payload, { fin: true, rsv1: true, opcode: 1, mask: false, readOnly: true }));
}

/**
 * ws's `perMessageDeflate` option: false unless `wsDeflate`; the shared-payload settings above; or,
 * for a compressor per connection, ws's own deflate (context takeover unless the client declines
 * it), every message compressed (no threshold), with the configured window and memLevel. In that
 * mode every frame of a connection goes through ws's `send`, which keeps them in order.
 */
export function wsDeflateOptions(
  config: Pick<LabConfig, "wsDeflate" | "wsDeflateContext" | "wsDeflateWindowBits" | "wsDeflateMemLevel">,
): false | ws.PerMessageDeflateOptions {
  if (!config.wsDeflate) return false;
  if (wsDeflateContext(config) === "connection") {
    return { serverMaxWindowBits: config.wsDeflateWindowBits, threshold: 0, zlibDeflateOptions: { memLevel: config.wsDeflateMemLevel } };
  }
  return {
    serverNoContextTakeover: true,
    serverMaxWindowBits: config.wsDeflateWindowBits,
    // The client's own window (client to server) is left to the client, as RFC 7692 lets it;
    // ws's inflater for it is made on the first compressed frame a client sends, not before.
  };
}

/** For a server that never negotiates compression (STOMP's): pre-framed writes need ws never to compress. */
export function assertNoDeflate(options: { perMessageDeflate?: unknown }): void {
  if (options.perMessageDeflate !== false) throw new Error("pre-framed WebSocket writes need perMessageDeflate: false (ws-frames.ts)");
}

/** Pre-framed writes and ws's own frames stay in order only if ws itself never compresses (see above). */
export function assertOrderedDeflate(options: { perMessageDeflate?: unknown }): void {
  const deflate = options.perMessageDeflate;
  if (deflate === false) return;
  const settings = deflate as ws.PerMessageDeflateOptions | undefined;
  if (settings?.serverNoContextTakeover !== true || typeof settings.serverMaxWindowBits !== "number") {
    throw new Error("pre-framed WebSocket writes need perMessageDeflate: false, or serverNoContextTakeover and a fixed serverMaxWindowBits (ws-frames.ts)");
  }
}
