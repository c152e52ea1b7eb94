import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Transport } from "../../protocol/types.js";
import { chooseEncoding, countCompressed, createStreamCompressor, type HttpEncoding, varyOnEncoding } from "../compression.js";
import { requestClient } from "../schemas.js";
import type { Delivery, Sink } from "./delivery.js";
import { cancelStream, http2Stream } from "./http2-stream.js";

/**
 * NDJSON streaming and SSE: one long HTTP response per subscriber, fed by the delivery core. What
 * is theirs alone is here: the response head, and how an HTTP response takes bytes and closes.
 */
export function serveHeldStream(request: FastifyRequest, reply: FastifyReply, delivery: Delivery, contentType: string, after: number | undefined): void {
  const { config, stats } = delivery.deps;
  const encoding = chooseEncoding(config, request.headers["accept-encoding"]);
  if (encoding !== undefined) varyOnEncoding(reply);
  if (encoding) void reply.header("content-encoding", encoding);
  if (request.method === "HEAD") {
    // The same headers as the stream, at once, and no subscription: there is no body to wait for.
    void reply.header("content-type", contentType).header("cache-control", "no-store").send();
    return;
  }
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    // Headers other hooks set on the reply (CORS, security, Vary) still apply to a hijacked response.
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    "content-type": contentType,
    "cache-control": "no-store",
    // Tells buffering reverse proxies (nginx) to pass each chunk through at once.
    "x-accel-buffering": "no",
  });
  if (encoding) countCompressed(stats, delivery.format.transport as Transport);
  const sink = encoding ? compressedSink(responseSink(res), res, encoding) : responseSink(res);
  const subscription = delivery.subscribe(sink, requestClient(request.query), after);
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
  return new ResponseSink(res);
}

/**
 * An HTTP/1.1 response as a sink. A class, not an object of closures: every subscriber's sink
 * shares one `write` and one `writable`, which the delivery core's calls can inline.
 */
class ResponseSink implements Sink {
  constructor(private readonly res: ServerResponse) {}

  write(bytes: Buffer): boolean {
    return this.res.write(bytes);
  }

  /**
   * Written through to the socket when it is the socket's current response, else held in the
   * response's own buffer (pipelining): either way `write` says "wait" from this size on.
   */
  get highWaterMark(): number {
    return this.res.writableHighWaterMark;
  }

  get buffered(): number {
    return this.res.writableLength;
  }

  get writable(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  onDrain(listener: () => void): void {
    this.res.once("drain", listener);
  }

  ready(): void {
    this.res.flushHeaders();
  }

  /** Dropping the connection, not ending the response: the client must see that it was cut. */
  cut(): void {
    this.res.destroy();
  }

  /** A complete chunked response: the client sees a clean end. */
  end(): void {
    this.res.end();
  }
}

/**
 * The same response behind a compressor of its own (a dictionary per connection: the shared
 * message bytes are compressed once per subscriber), each chunk ending in a sync flush so that
 * every message leaves at once. zlib compresses one chunk per trip to its thread pool, so writes
 * that arrive while a chunk is being compressed wait here and go as one chunk next: a burst of
 * messages costs one trip, not one each (written one by one, a burst of a few hundred kB outruns
 * the compressor and a client that reads is mistaken for a slow one). What is unsent is counted
 * against the cap wherever it is: waiting here, in the compressor (input, or output the response
 * has not taken: the pipe stops taking when the response is full), in the response's buffer.
 */
function compressedSink(below: Sink, res: ServerResponse, encoding: HttpEncoding): Sink {
  const stream = createStreamCompressor(encoding);
  stream.pipe(res);
  // A response closed by the client, or cut: the compressor's zlib state is freed at once.
  res.once("close", () => stream.destroy());
  stream.on("error", () => res.destroy());
  let waiting: Buffer[] = [];
  let waitingBytes = 0;
  let compressing = false;
  let drainListeners: (() => void)[] = [];
  const idle = (): boolean => !compressing && !stream.writableNeedDrain;
  const notifyDrained = (): void => {
    const listeners = drainListeners;
    drainListeners = [];
    for (const listener of listeners) listener();
  };
  const compressNext = (): void => {
    if (waiting.length === 0 || stream.destroyed) {
      compressing = false;
      if (stream.writableNeedDrain) stream.once("drain", notifyDrained);
      else notifyDrained();
      return;
    }
    const chunk = waiting.length === 1 ? (waiting[0] as Buffer) : Buffer.concat(waiting);
    waiting = [];
    waitingBytes = 0;
    compressing = true;
    stream.write(chunk, compressNext);
  };
  return {
    write: (bytes) => {
      waiting.push(bytes);
      waitingBytes += bytes.length;
      if (!compressing) compressNext();
      return idle();
    },
    get buffered() {
      return waitingBytes + stream.writableLength + stream.readableLength + below.buffered;
    },
    get writable() {
      return below.writable && !stream.destroyed && !stream.writableEnded;
    },
    onDrain: (listener) => {
      if (idle()) setImmediate(listener);
      else drainListeners.push(listener);
    },
    // The compressor has written nothing yet: the head goes now, as it does uncompressed.
    ready: () => below.ready(),
    cut: () => {
      waiting = [];
      waitingBytes = 0;
      stream.unpipe(res);
      stream.destroy();
      below.cut();
    },
    // After what is waiting: the compressor's end writes its trailer, then the pipe ends the response.
    end: () => {
      if (waiting.length > 0) stream.write(Buffer.concat(waiting));
      waiting = [];
      waitingBytes = 0;
      stream.end();
    },
  };
}
