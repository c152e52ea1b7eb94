import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { requestClient } from "../schemas.js";
import type { Delivery, Sink } from "./delivery.js";
import { cancelStream, http2Stream } from "./http2-stream.js";

/**
 * NDJSON streaming and SSE: one long HTTP response per subscriber, fed by the delivery core. What
 * is theirs alone is here: the response head, and how an HTTP response takes bytes and closes.
 */
export function serveHeldStream(request: FastifyRequest, reply: FastifyReply, delivery: Delivery, contentType: string, after: number | undefined): void {
  if (request.method === "HEAD") {
    // The same headers as the stream, at once, and no subscription: there is no body to wait for.
    void reply.header("content-type", contentType).header("cache-control", "no-store").send();
    return;
  }
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    // Headers other hooks set on the reply (CORS, security) still apply to a hijacked response.
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    "content-type": contentType,
    "cache-control": "no-store",
    // Tells buffering reverse proxies (nginx) to pass each chunk through at once.
    "x-accel-buffering": "no",
  });
  const subscription = delivery.subscribe(responseSink(res), requestClient(request.query), after);
  res.once("close", () => subscription.closed());
}

/**
 * An HTTP response as a sink: each write one chunk (HTTP/1.1) or DATA frames (HTTP/2). On HTTP/2
 * what is buffered is the stream's own queue, which holds what the client's flow-control window has
 * not let through yet; a cut resets that stream alone, never the connection its neighbours share.
 */
function responseSink(res: ServerResponse): Sink {
  const stream = http2Stream(res);
  if (stream !== null) {
    return {
      write: (bytes) => res.write(bytes),
      get buffered() {
        return stream.writableLength;
      },
      get writable() {
        return !stream.destroyed && !stream.writableEnded;
      },
      onDrain: (listener) => res.once("drain", listener),
      ready: () => res.flushHeaders(),
      cut: () => cancelStream(stream),
      // END_STREAM: the client sees a clean end of this stream.
      end: () => res.end(),
    };
  }
  return {
    write: (bytes) => res.write(bytes),
    get buffered() {
      return res.writableLength;
    },
    get writable() {
      return !res.destroyed && !res.writableEnded;
    },
    onDrain: (listener) => res.once("drain", listener),
    ready: () => res.flushHeaders(),
    // Dropping the connection, not ending the response: the client must see that it was cut.
    cut: () => res.destroy(),
    // A complete chunked response: the client sees a clean end.
    end: () => res.end(),
  };
}
