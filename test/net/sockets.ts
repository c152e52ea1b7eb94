import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** A tiny TCP server on a free loopback port, for the link to stand in front of. */
export async function listen(onConnection: (socket: Socket) => void): Promise<{ port: number; server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true, noDelay: true });
  await once(socket, "connect");
  return socket;
}

/** Everything the socket receives until its FIN, and when the last byte came. */
export function readToEnd(socket: Socket): Promise<{ bytes: Buffer; lastByteAt: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let lastByteAt = Number.NaN;
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      lastByteAt = performance.now();
    });
    socket.once("end", () => resolve({ bytes: Buffer.concat(chunks), lastByteAt }));
    socket.once("error", reject);
  });
}

/** Resolves once `predicate` holds, checking every few milliseconds. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Deterministic bytes, so a test can tell a reordered or truncated transfer from a good one. */
export function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}
