import type { IncomingMessage, ServerResponse } from "node:http";
import { encodeNdjsonLine, encodeSseComment, encodeSseEvent, encodeSseRetry } from "../../../protocol/encode.js";
import { METERED, type Metered, type PublishRequest, type ResetSignal, type StatsResponse, type TransportCounters } from "../../../protocol/types.js";
import type { BareEntry, BareFeed, BarePage } from "./bare-feed.js";

/**
 * The bare node:http handler for publishing, polling, long polling, NDJSON streaming and SSE: the
 * lab's paths, query parameters, JSON bodies and framing (the same pure encoders from
 * protocol/encode.ts), with none of its machinery. What it leaves out, on purpose, because that is
 * what the comparison measures:
 * - no framework (no routing table, hooks, schema validation, reply objects, logging);
 * - no metering (no socket meter, no byte or per-client counters: /api/stats reports only the `open`
 *   gauges the bench waits on, a request count per HTTP transport (one integer added per request, what
 *   the scale report's requests per second read) and the feed's ids);
 * - validation only as deep as needed not to crash: a cursor that is not a number reads as absent,
 *   a publish body needs string `from` and `text`; no length limits, no Host, Origin or CORS checks;
 * - no limits: no held-connection caps, no rate limit, no slow-consumer cut-off, no body limit;
 * - catch-up written in one go (no drain pacing), heartbeats to every stream on one shared timer
 *   (every `heartbeatMs`: the lab's LAB_HEARTBEAT_MS when main.ts is given it, so that a run which
 *   shortens the lab's heartbeat period shortens this one's too), no HEAD handling, no graceful
 *   shutdown.
 */

export interface BareHttpOptions {
  /** Period of the shared heartbeat timer for NDJSON and SSE streams (the lab's default, 15 s). */
  heartbeatMs?: number;
}

export interface BareHttp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The `open` gauges, shared with the WebSocket side. */
  readonly open: Record<Metered, number>;
  close(): void;
}

const LONG_POLL_DEFAULT_MS = 25_000;
const LONG_POLL_MAX_MS = 60_000;
export const BARE_HEARTBEAT_MS = 15_000;
const SSE_RETRY_MS = 2_000;

interface Format {
  transport: "stream" | "sse";
  contentType: string;
  preamble: string;
  message(entry: BareEntry): string;
  reset(signal: ResetSignal): string;
  heartbeat(): string;
}

const NDJSON: Format = {
  transport: "stream",
  contentType: "application/x-ndjson; charset=utf-8",
  preamble: "",
  message: (entry) => encodeNdjsonLine(entry.json),
  reset: (signal) => encodeNdjsonLine(JSON.stringify(signal)),
  heartbeat: () => encodeNdjsonLine(JSON.stringify({ type: "heartbeat", time: Date.now() })),
};

const SSE: Format = {
  transport: "sse",
  contentType: "text/event-stream; charset=utf-8",
  preamble: encodeSseRetry(SSE_RETRY_MS),
  message: (entry) => encodeSseEvent(entry.json, { id: entry.message.id }),
  reset: (signal) => encodeSseEvent(JSON.stringify(signal), { event: "reset", id: signal.cursor }),
  heartbeat: () => encodeSseComment("heartbeat"),
};

/** A query integer, or undefined when absent or not a plain decimal. */
function integer(value: string | null | undefined): number | undefined {
  return value !== null && value !== undefined && /^[0-9]{1,16}$/.test(value) ? Number(value) : undefined;
}

/** The lab's poll and long-poll answer, byte for byte (server/transports/poll-body.ts). */
export function pollBody(page: BarePage): string {
  const reset = page.reset === null ? "" : `,"reset":${JSON.stringify(page.reset)}`;
  return `{"messages":[${page.entries.map((e) => e.json).join(",")}],"cursor":${page.cursor},"more":${page.more}${reset}}`;
}

/** Present only when node runs with --expose-gc (the scale ramp's servers do): then `?gc=1` collects first, as the lab's /api/health does. */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function bareHttp(feed: BareFeed, options: BareHttpOptions = {}): BareHttp {
  const open = Object.fromEntries(METERED.map((k) => [k, 0])) as Record<Metered, number>;
  const requests = Object.fromEntries(METERED.map((k) => [k, 0])) as Record<Metered, number>;
  const streams = new Map<ServerResponse, Format>();
  const encoded = { stream: new WeakMap<BareEntry, Buffer>(), sse: new WeakMap<BareEntry, Buffer>() };
  const bytesOf = (format: Format, entry: BareEntry): Buffer => {
    let bytes = encoded[format.transport].get(entry);
    if (bytes === undefined) {
      bytes = Buffer.from(format.message(entry));
      encoded[format.transport].set(entry, bytes);
    }
    return bytes;
  };
  const heartbeats = setInterval(() => {
    for (const [res, format] of streams) res.write(format.heartbeat());
  }, options.heartbeatMs ?? BARE_HEARTBEAT_MS);

  const poll = (res: ServerResponse, after: number | undefined): void => json(res, 200, pollBody(feed.read(after)));

  const longPoll = (req: IncomingMessage, res: ServerResponse, after: number | undefined, timeout: number): void => {
    const first = feed.read(after);
    if (first.entries.length > 0 || first.reset !== null) {
      json(res, 200, pollBody(first));
      return;
    }
    const waitAfter = after ?? feed.last;
    open["long-poll"]++;
    const finish = (): void => {
      unsubscribe();
      clearTimeout(timer);
      req.socket.off("close", finish);
      open["long-poll"]--;
      if (!req.socket.destroyed) json(res, 200, pollBody(feed.read(waitAfter)));
    };
    const unsubscribe = feed.subscribe(finish);
    const timer = setTimeout(finish, timeout);
    req.socket.on("close", finish);
  };

  const stream = (res: ServerResponse, format: Format, after: number | undefined): void => {
    res.writeHead(200, { "content-type": format.contentType, "cache-control": "no-store", "x-accel-buffering": "no" });
    const parts: Buffer[] = format.preamble === "" ? [] : [Buffer.from(format.preamble)];
    let cursor = after;
    for (let more = true; more; ) {
      const page = feed.read(cursor);
      if (page.reset !== null) parts.push(Buffer.from(format.reset(page.reset)));
      for (const entry of page.entries) parts.push(bytesOf(format, entry));
      cursor = page.cursor;
      more = page.more;
    }
    if (parts.length > 0) res.write(Buffer.concat(parts));
    else res.flushHeaders();
    const unsubscribe = feed.subscribe((entry) => res.write(bytesOf(format, entry)));
    streams.set(res, format);
    open[format.transport]++;
    res.once("close", () => {
      unsubscribe();
      streams.delete(res);
      open[format.transport]--;
    });
  };

  const publish = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: Partial<PublishRequest> | null = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as Partial<PublishRequest>;
      } catch {
        // answered below
      }
      if (body === null || typeof body.from !== "string" || typeof body.text !== "string" || (body.nonce !== undefined && typeof body.nonce !== "string")) {
        return json(res, 400, '{"error":"bad_request","message":"expected {from, text, nonce?}"}');
      }
      const request: PublishRequest = { from: body.from, text: body.text };
      if (body.nonce !== undefined) request.nonce = body.nonce;
      json(res, 201, feed.publish(request).json);
    });
  };

  const stats = (res: ServerResponse): void => {
    const zero = (key: Metered): TransportCounters => ({
      open: open[key],
      connections: 0,
      requests: requests[key],
      delivered: 0,
      bytesIn: 0,
      bytesOut: 0,
      disconnects: 0,
      cutoffs: 0,
      refused: 0,
      clientErrors: 0,
      versions: { "1.1": 0, "2": 0 },
      tls: 0,
    });
    const body: StatsResponse = {
      uptimeMs: Math.round(process.uptime() * 1000),
      feed: { lastId: feed.last, oldestId: feed.oldestId, retained: feed.last - feed.oldestId + 1, subscribers: feed.subscribers },
      transports: Object.fromEntries(METERED.map((k) => [k, zero(k)])) as Record<Metered, TransportCounters>,
      connections: { http1: { open: 0, tls: 0 }, h2: { open: 0, streams: 0 } },
    };
    json(res, 200, JSON.stringify(body));
  };

  return {
    open,
    handle(req, res) {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
      const after = integer(query.get("after"));
      if (req.method === "POST" && path === "/api/messages") return publish(req, res);
      if (req.method !== "GET") return json(res, 404, '{"error":"not_found","message":"no such route"}');
      switch (path) {
        case "/api/poll":
          requests.poll++;
          return poll(res, after);
        case "/api/long-poll":
          requests["long-poll"]++;
          return longPoll(req, res, after, Math.min(integer(query.get("timeout")) ?? LONG_POLL_DEFAULT_MS, LONG_POLL_MAX_MS));
        case "/api/stream":
          requests.stream++;
          return stream(res, NDJSON, after);
        case "/api/sse": {
          requests.sse++;
          const lastEventId = req.headers["last-event-id"];
          return stream(res, SSE, integer(typeof lastEventId === "string" ? lastEventId : undefined) ?? after);
        }
        case "/api/stats":
          return stats(res);
        case "/api/health": {
          if (query.get("gc") === "1") collectGarbage?.();
          const memory = process.memoryUsage();
          return json(
            res,
            200,
            JSON.stringify({ rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external, subscribers: feed.subscribers }),
          );
        }
        default:
          return json(res, 404, '{"error":"not_found","message":"no such route"}');
      }
    },
    close() {
      clearInterval(heartbeats);
      for (const res of streams.keys()) res.end();
    },
  };
}
