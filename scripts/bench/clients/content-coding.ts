import { Transform } from "node:stream";
import zlib from "node:zlib";

/**
 * Undoing the server's content coding (`--compress`): a poll answer whole, a stream chunk by chunk
 * (the server flushes after each message, so each chunk inflates to whole messages at once).
 */

type Coding = string | string[] | undefined;

/** A whole body in its content coding, decoded. */
export function decodeBody(raw: Buffer, coding: Coding): Buffer {
  switch (coding) {
    case undefined:
    case "identity":
      return raw;
    case "gzip":
      return zlib.gunzipSync(raw);
    case "br":
      return zlib.brotliDecompressSync(raw);
    case "deflate":
      return zlib.inflateSync(raw);
    default:
      throw new Error(`unexpected content-encoding: ${String(coding)}`);
  }
}

/** A stream that inflates a body in `coding`; null for an identity body. */
export function decompressor(coding: Coding): Transform | null {
  switch (coding) {
    case undefined:
    case "identity":
      return null;
    case "gzip":
      return zlib.createGunzip();
    case "br":
      return zlib.createBrotliDecompress();
    case "deflate":
      return zlib.createInflate();
    default:
      throw new Error(`unexpected content-encoding: ${String(coding)}`);
  }
}

/** A pass-through that reports each chunk's length: the compressed bytes of a stream's body. */
export function counting(add: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      add(chunk.length);
      done(null, chunk);
    },
  });
}
