import net from "node:net";
import { waitFor } from "./server.js";

/** A raw TCP client that counts every byte it writes and every byte it receives. */
export class CountingSocket {
  sent = 0;
  received = 0;
  text = "";
  private readonly chunks: Buffer[] = [];
  private readonly socket: net.Socket;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.text += chunk.toString("latin1");
    });
    this.socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve()));
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(data: string | Buffer): void {
    this.sent += Buffer.byteLength(data);
    this.socket.write(data);
  }

  /**
   * Writes `data` in pieces of 1 to `maxPiece` bytes (sizes from `random`), each after the previous
   * one has left, so the server reads request heads and bodies torn at arbitrary places.
   */
  async writeInPieces(data: Buffer, maxPiece: number, random: () => number): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      const piece = data.subarray(offset, offset + 1 + Math.floor(random() * maxPiece));
      offset += piece.length;
      this.sent += piece.length;
      await new Promise<void>((resolve) => this.socket.write(piece, () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Stops reading, as a slow consumer does: what the server sends piles up in the kernel, then in Node. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Waits until the received text contains `marker` `times` times. */
  async waitFor(marker: string, times = 1): Promise<void> {
    await waitFor(() => this.text.split(marker).length - 1 >= times, `${times} × ${JSON.stringify(marker)}`);
  }

  async end(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  /** Closes abruptly, as a client that leaves mid-response does. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

/**
 * Splits bytes received on one connection into its HTTP/1.1 responses, by their own framing
 * (Content-Length or chunked): the byte length of each complete response, in order, then what is
 * left (the start of an unfinished one, such as a held stream).
 */
export function splitResponses(data: Buffer): { complete: number[]; rest: number } {
  const complete: number[] = [];
  let offset = 0;
  for (;;) {
    const end = responseEnd(data, offset);
    if (end === null) return { complete, rest: data.length - offset };
    complete.push(end - offset);
    offset = end;
  }
}

/** Where the response starting at `start` ends, or null if it is not complete in `data`. */
function responseEnd(data: Buffer, start: number): number | null {
  const headEnd = data.indexOf("\r\n\r\n", start);
  if (headEnd === -1) return null;
  const head = data.subarray(start, headEnd).toString("latin1").toLowerCase();
  let offset = headEnd + 4;
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
    for (;;) {
      const lineEnd = data.indexOf("\r\n", offset);
      if (lineEnd === -1) return null;
      const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
      offset = lineEnd + 2;
      if (size === 0) {
        // No trailers in these tests: the last chunk is followed by the final CRLF.
        return data.length >= offset + 2 ? offset + 2 : null;
      }
      offset += size + 2;
      if (offset > data.length) return null;
    }
  }
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length === null) return null;
  offset += Number(length[1]);
  return offset <= data.length ? offset : null;
}
