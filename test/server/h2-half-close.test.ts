import http2 from "node:http2";
import { Duplex } from "node:stream";
import tls, { type TLSSocket } from "node:tls";
import { afterEach, expect, it } from "vitest";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";

/**
 * A client's FIN on an HTTP/2 connection (TLS close_notify, then TCP FIN) while the server still
 * has bytes queued for it. Node's HTTP/2 session reads the lab's TLS plaintext through a JS stream
 * (server/tls/secure-listener.ts), and Node 20 asserts, killing the process, if that session writes
 * while the stream's socket is shutting down. A client that stops reading and then half-closes kept
 * the shutdown pending for good, so the next delivery, heartbeat or stream reset took the server down.
 */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An HTTP/2 client whose TLS socket the test holds, so that it can stop reading and half-close. */
async function rawH2Client(url: URL): Promise<{ session: http2.ClientHttp2Session; raw: TLSSocket; stopReading(): void }> {
  const raw = tls.connect({ host: url.hostname, port: Number(url.port), ALPNProtocols: ["h2"], rejectUnauthorized: false });
  raw.on("error", () => undefined);
  let reading = true;
  // The session reads through this pass-through; once the test stops reading, so does the TCP socket.
  const plaintext = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      raw.write(chunk, callback);
    },
  });
  raw.on("data", (chunk: Buffer) => {
    if (reading) plaintext.push(chunk);
  });
  // Windows wide open, so that HTTP/2 flow control does not stop the server before TCP does.
  const session = http2.connect(url.origin, {
    createConnection: () => plaintext as unknown as TLSSocket,
    settings: { initialWindowSize: 2 ** 31 - 1 },
  });
  session.on("error", () => undefined);
  await new Promise((resolve) => session.once("connect", resolve));
  session.setLocalWindowSize(2 ** 31 - 1);
  return {
    session,
    raw,
    stopReading: () => {
      reading = false;
      raw.pause();
    },
  };
}

it("a client that stops reading and then half-closes its connection is let go; the server goes on delivering to others", async () => {
  server = await startServer({ publishRateMax: 1_000_000, maxTextLength: 8_000 }, { tls: true });
  const s = server;
  const secure = s.app.secure;
  if (secure === null || s.secureUrl === null) throw new Error("the test server has no TLS listener");
  // The server side of each HTTP/2 connection: its TLS socket, to see when bytes wait unsent in it.
  const serverTls: TLSSocket[] = [];
  const meter = secure.onHttp2Connection;
  secure.onHttp2Connection = (wire, tcp) => {
    meter?.(wire, tcp);
    serverTls.push((wire as unknown as { secure: TLSSocket }).secure);
  };

  const url = new URL(s.secureUrl);
  const client = await rawH2Client(url);
  for (let i = 0; i < 2; i++) {
    const stream = client.session.request({ ":path": "/api/stream" });
    stream.on("error", () => undefined);
    stream.resume();
    await new Promise((resolve) => stream.once("response", resolve));
  }
  expect(s.app.heldConnections.size).toBe(2);
  const [socket] = serverTls;
  if (socket === undefined) throw new Error("the server saw no HTTP/2 connection");

  // Stop reading, then publish small messages until the kernel's buffers are full and some bytes
  // wait in the server's TLS socket, but fewer than its high-water mark: Node's session then has
  // no write of its own pending.
  client.stopReading();
  let published = 0;
  while (socket.writableLength === 0) {
    s.app.lab.feed.publish({ from: "filler", text: "x".repeat(1_000) });
    published++;
    if (published > 20_000) throw new Error("the server's socket never backed up");
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(socket.writableLength).toBeLessThan(socket.writableHighWaterMark);

  // close_notify and FIN; the server must neither keep the connection nor die writing into it.
  client.raw.end();
  await waitFor(() => s.app.heldConnections.size === 0, "the half-closed connection's streams to be released");
  s.app.lab.feed.publish({ from: "after", text: "one more" });
  s.app.heldConnections.destroySockets();

  // Still up: a new client subscribes and gets the next message.
  const other = http2.connect(s.secureUrl, { rejectUnauthorized: false } as http2.SecureClientSessionOptions);
  other.on("error", () => undefined);
  const after = s.app.lab.feed.lastId;
  const stream = other.request({ ":path": `/api/stream?after=${after}` });
  let body = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => (body += chunk));
  await new Promise((resolve) => stream.once("response", resolve));
  s.app.lab.feed.publish({ from: "later", text: "still here" });
  await waitFor(() => body.includes("still here"), "a later subscriber to get a later message");
  other.destroy();
  client.session.destroy();
  client.raw.destroy();
});
