import { promisify } from "node:util";
import zlib from "node:zlib";
import type { FastifyReply } from "fastify";
import type { CompressionStats, Transport } from "../protocol/types.js";
import { httpCompression, type LabConfig, wsDeflateContext } from "./config.js";
import type { Stats } from "./metering/stats.js";

/** The HTTP content codings the server can send. */
export type HttpEncoding = "gzip" | "br";

/**
 * Brotli at quality 4 and a 256 KiB window: the setting servers use for dynamic content (quality 11,
 * the library's default, is meant for static files and costs ~50× the CPU); gzip at zlib's defaults
 * (level 6, 32 KiB window, memLevel 8: about 256 KiB of zlib state per held stream).
 */
const BROTLI_OPTIONS: zlib.BrotliOptions = {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_LGWIN]: 18 },
};

/**
 * The coding to answer `acceptEncoding` with: the configured one if the client accepts it (q > 0,
 * named or by `*`), else null (identity). `undefined` when compression is off: the answer does not
 * vary at all, so it carries no `Vary` either.
 */
export function chooseEncoding(config: Pick<LabConfig, "compress">, acceptEncoding: string | string[] | undefined): HttpEncoding | null | undefined {
  const setting = httpCompression(config);
  if (setting === "off") return undefined;
  return accepts(acceptEncoding, setting) ? setting : null;
}

/** Whether an Accept-Encoding header value accepts `coding` (RFC 9110, 12.5.3). */
export function accepts(acceptEncoding: string | string[] | undefined, coding: HttpEncoding): boolean {
  if (acceptEncoding === undefined) return false;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(",") : acceptEncoding;
  let named: number | undefined;
  let star: number | undefined;
  for (const item of header.split(",")) {
    const [rawName = "", ...params] = item.split(";");
    const name = rawName.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [key = "", value = ""] = param.split("=");
      if (key.trim().toLowerCase() === "q") q = Number(value.trim());
    }
    if (!Number.isFinite(q)) q = 0;
    if (name === coding) named = q;
    else if (name === "*") star = q;
  }
  return (named ?? star ?? 0) > 0;
}

/** Add Accept-Encoding to the answer's Vary, keeping what other hooks put there (CORS's Origin). */
export function varyOnEncoding(reply: FastifyReply): void {
  const current = reply.getHeader("vary");
  const list = current === undefined ? "" : String(current);
  if (/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(list)) return;
  void reply.header("vary", list === "" ? "Accept-Encoding" : `${list}, Accept-Encoding`);
}

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/** A whole answer compressed (off the event loop: zlib's thread pool). */
export function compressBody(encoding: HttpEncoding, body: string): Promise<Buffer> {
  return encoding === "gzip" ? gzip(body) : brotli(body, BROTLI_OPTIONS);
}

/**
 * A compressor for one held response whose every write ends in a sync flush: what was written
 * reaches the client at once without ending the stream or resetting its dictionary, so the next
 * message still compresses against the ones before (Z_SYNC_FLUSH, not `flush()`'s default
 * Z_FULL_FLUSH, which forgets the window). Each flush costs the stream 4-5 bytes.
 */
export function createStreamCompressor(encoding: HttpEncoding): zlib.Gzip | zlib.BrotliCompress {
  if (encoding === "gzip") return zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH });
  return zlib.createBrotliCompress({ ...BROTLI_OPTIONS, flush: zlib.constants.BROTLI_OPERATION_FLUSH });
}

type CompressedCounts = Record<Transport, number>;
/** Per app (its Stats): how many answers, streams and WebSockets went out compressed. */
const counts = new WeakMap<Stats, CompressedCounts>();

function countsOf(stats: Stats): CompressedCounts {
  let found = counts.get(stats);
  if (found === undefined) {
    found = { poll: 0, "long-poll": 0, stream: 0, sse: 0, ws: 0 };
    counts.set(stats, found);
  }
  return found;
}

/** One more answer (poll, long poll), stream (NDJSON, SSE) or WebSocket sent compressed. */
export function countCompressed(stats: Stats, transport: Transport): void {
  countsOf(stats)[transport] += 1;
}

/** What `/api/stats` says of compression: the settings, and what was compressed per transport. */
export function compressionStats(config: LabConfig, stats: Stats): CompressionStats {
  return {
    http: httpCompression(config),
    wsDeflate: config.wsDeflate ? wsDeflateStats(config) : null,
    compressed: { ...countsOf(stats) },
  };
}

function wsDeflateStats(config: LabConfig): NonNullable<CompressionStats["wsDeflate"]> {
  const context = wsDeflateContext(config);
  return { context, serverMaxWindowBits: config.wsDeflateWindowBits, memLevel: context === "connection" ? config.wsDeflateMemLevel : null };
}
