import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResetSignal } from "../../protocol/types.js";
import type { LabDeps } from "../app.js";
import type { FeedEntry } from "../feed.js";
import { requestClient } from "../metering/meter-plugin.js";
import { nextCursor, readPage } from "./poll-body.js";

/** What makes NDJSON streaming and SSE different: only their bytes. */
export interface StreamFormat {
  transport: "stream" | "sse";
  contentType: string;
  /** Written once, right after the headers. */
  preamble: string;
  message(entry: FeedEntry): string;
  reset(signal: ResetSignal): string;
  heartbeat(): string;
}

/**
 * One long HTTP response per subscriber (NDJSON or SSE). Each open stream owns a feed subscription
 * and a heartbeat timer; both are released when the response closes, whoever closes it.
 */
export class HeldStreams {
  private readonly open = new Set<() => void>();
  /** Each message is encoded once per format and the same bytes are written to every subscriber. */
  private readonly encoded = new WeakMap<FeedEntry, Buffer>();

  constructor(
    private readonly deps: LabDeps,
    private readonly format: StreamFormat,
  ) {}

  get size(): number {
    return this.open.size;
  }

  serve(request: FastifyRequest, reply: FastifyReply, after: number | undefined): void {
    const { feed, stats, config } = this.deps;
    const { transport } = this.format;
    const client = requestClient(request.query);
    const res = reply.raw;

    if (request.method === "HEAD") {
      // The same headers as the stream, at once, and no subscription: there is no body to wait for.
      void reply.header("content-type", this.format.contentType).header("cache-control", "no-store").send();
      return;
    }
    reply.hijack();
    res.writeHead(200, {
      // Headers other hooks set on the reply (CORS, security) still apply to a hijacked response.
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      "content-type": this.format.contentType,
      "cache-control": "no-store",
      // Tells buffering reverse proxies (nginx) to pass each chunk through at once.
      "x-accel-buffering": "no",
    });

    let endedByServer = false;
    // Re-armed by every write, so a heartbeat goes out only after heartbeatMs of silence.
    const heartbeat = setTimeout(() => write(this.format.heartbeat()), config.heartbeatMs);
    const write = (data: string | Buffer): void => {
      if (res.destroyed || res.writableEnded) return;
      res.write(data);
      heartbeat.refresh();
      if (res.writableLength > config.maxBufferedBytes) {
        // A subscriber that does not read would make us hold its backlog without end.
        endedByServer = true;
        stats.add(transport, client, "cutoffs");
        res.destroy();
      }
    };

    // The catch-up goes out a page at a time (one chunk each, of the messages' cached bytes), the
    // next page only once the socket has taken the previous one, so a reader far behind is never
    // mistaken for a slow consumer, and one that does not read at all costs one page, however far
    // behind it asked to start. Live messages join in the same tick as the last page is read, so
    // none can fall between the two.
    let unsubscribe: (() => void) | null = null;
    let cursor = after;
    let preamble = this.format.preamble;
    let firstPage = true;
    const catchUp = (): void => {
      if (res.destroyed || res.writableEnded) return;
      const page = readPage(feed, config, cursor);
      const parts: Buffer[] = [];
      if (preamble !== "") parts.push(Buffer.from(preamble));
      preamble = "";
      if (page.reset !== null) parts.push(Buffer.from(this.format.reset(page.reset)));
      for (const entry of page.entries) parts.push(this.bytesOf(entry));
      cursor = nextCursor(page, cursor, feed.lastId);
      stats.add(transport, client, "delivered", page.entries.length);
      let taken = true;
      if (parts.length > 0) {
        taken = res.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
        heartbeat.refresh();
      } else if (firstPage) {
        // Nothing to send yet: the headers alone tell the client the stream is open.
        res.flushHeaders();
      }
      firstPage = false;
      if (!page.more) {
        unsubscribe = feed.subscribe((entry) => {
          write(this.bytesOf(entry));
          stats.add(transport, client, "delivered");
        });
        return;
      }
      // The next page once the socket has taken this one, and never in the same tick: a backlog
      // the kernel's buffers swallow whole would otherwise be written in one long stall.
      if (taken) setImmediate(catchUp);
      else res.once("drain", catchUp);
    };
    catchUp();

    const endNow = (): void => {
      endedByServer = true;
      res.end();
    };
    this.open.add(endNow);
    res.once("close", () => {
      unsubscribe?.();
      clearTimeout(heartbeat);
      this.open.delete(endNow);
      if (!endedByServer) stats.add(transport, client, "disconnects");
    });
  }

  /** Server shutdown: end every stream cleanly (a complete chunked response). */
  endAll(): void {
    for (const endNow of [...this.open]) endNow();
  }

  private bytesOf(entry: FeedEntry): Buffer {
    let bytes = this.encoded.get(entry);
    if (bytes === undefined) {
      bytes = Buffer.from(this.format.message(entry));
      this.encoded.set(entry, bytes);
    }
    return bytes;
  }
}
