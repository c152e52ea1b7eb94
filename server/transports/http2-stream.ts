import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Stream } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * What differs between an HTTP/1.1 response and an HTTP/2 one, in one place. On HTTP/2 Fastify's
 * `request.raw`/`reply.raw` are Node's compatibility objects: their `socket` is a proxy that mixes
 * the stream (`on`, `destroy`, `destroyed`) with the connection's socket (every other property, so
 * `writableNeedDrain` is the whole connection's), and destroying the stream sends RST_STREAM with
 * NO_ERROR. Code that must act on one stream, or on its own buffer, asks this module for the stream.
 */
export function isHttp2(raw: IncomingMessage | Http2ServerRequest): boolean {
  return raw.httpVersionMajor === 2;
}

/** The HTTP/2 stream under a response, or null for an HTTP/1.1 response. */
export function http2Stream(res: ServerResponse | Http2ServerResponse): ServerHttp2Stream | null {
  return res instanceof http2.Http2ServerResponse ? res.stream : null;
}

/**
 * Reset one stream with CANCEL (RFC 9113, 8.4: "the stream is no longer needed"): the client sees a
 * cut, not a clean end, and the connection with its other streams goes on.
 */
export function cancelStream(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
}
