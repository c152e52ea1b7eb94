import http2 from "node:http2";
import type { LabConfig } from "../config.js";
import { apiError } from "../errors.js";
import type { RequestCheck } from "../request-gate.js";
import { http2Stream } from "../transports/http2-stream.js";

/**
 * Slowloris over HTTP/2: Node times a whole request (`requestTimeout`) on HTTP/1.1 only, so an
 * HTTP/2 request whose body never ends held its stream, and the handler waiting for that body, for
 * good. Here the same limit applies to each HTTP/2 stream: a request still unfinished after
 * `requestTimeoutMs` gets the 408 `{error, message}` HTTP/1.1 gives, then its stream is reset with
 * NO_ERROR, which tells the client to stop sending (RFC 9113, section 8.1). The timer runs only while
 * the body is arriving: a request without one (every GET) ends with its headers and costs none.
 */
export function http2RequestTimeout(config: Pick<LabConfig, "requestTimeoutMs">): RequestCheck {
  return (request, reply) => {
    const stream = http2Stream(reply.raw);
    if (stream === null || stream.endAfterHeaders || request.raw.readableEnded || config.requestTimeoutMs <= 0) return undefined;
    const timer = setTimeout(() => {
      if (stream.destroyed) return;
      if (!stream.headersSent) {
        const body = JSON.stringify(apiError(408, "the request was not received in time"));
        stream.respond({ ":status": 408, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
        stream.end(body);
      }
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
    }, config.requestTimeoutMs);
    const done = (): void => clearTimeout(timer);
    request.raw.once("end", done);
    stream.once("close", done);
    return undefined;
  };
}
