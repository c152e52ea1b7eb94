import http2 from "node:http2";
import type { Socket } from "node:net";
import tls from "node:tls";
import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SocketCounter } from "../../../scripts/bench/measure/socket-counter.js";
import { loadCertificate } from "../../../server/tls/certificate.js";

/**
 * Node's secure HTTP/2 server (HTTP/1.1 too, by ALPN), keeping the TCP socket under each TLS
 * connection ('connection' comes before TLS), so the bytes that crossed the network, records and
 * handshake included, are known at its end; or a TLS server that offers HTTP/1.1 alone.
 */
async function tlsServer(alpn: "h2" | "http/1.1"): Promise<{ server: tls.Server; origin: string; sockets: Socket[] }> {
  const certificate = await loadCertificate({ tlsCert: "", tlsKey: "" });
  const options = { key: certificate.key, cert: certificate.cert };
  const server =
    alpn === "h2"
      ? http2.createSecureServer({ ...options, allowHTTP1: true }, (_request, response) => response.end("hello"))
      : tls.createServer({ ...options, ALPNProtocols: ["http/1.1"] }, (secure) =>
          secure.on("data", () => secure.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")),
        );
  const sockets: Socket[] = [];
  server.on("connection", (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { server, origin: `https://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`, sockets };
}

describe("client socket counter under TLS", () => {
  let both: Awaited<ReturnType<typeof tlsServer>>;
  let h1Only: Awaited<ReturnType<typeof tlsServer>>;

  beforeAll(async () => {
    both = await tlsServer("h2");
    h1Only = await tlsServer("http/1.1");
  });

  afterAll(async () => {
    for (const s of [both, h1Only]) {
      for (const socket of s.sockets) socket.destroy();
      await new Promise((resolve) => s.server.close(resolve));
    }
  });

  for (const alpn of ["http/1.1", "h2"] as const) {
    it(`counts ${alpn} over TLS at the TCP socket, byte for byte what the server's TCP socket counted`, async () => {
      const counter = new SocketCounter();
      const client = new Client(both.origin, { connect: counter.secureConnector(alpn), ...(alpn === "h2" ? { allowH2: true } : {}) });
      let body = 0;
      for (let i = 0; i < 3; i++) body += (await (await client.request({ method: "GET", path: "/" })).body.text()).length;
      const server = both.sockets[both.sockets.length - 1] as Socket;
      // Compared while open: at close each end sends a close_notify record the other may never read.
      const counts = counter.snapshot();
      await client.destroy();
      expect(counts.connections).toBe(1);
      expect(counts.bytes).toEqual({ up: server.bytesRead, down: server.bytesWritten });
      // Ciphertext: the handshake and a record's 22 bytes around each answer, well above the plaintext.
      expect(counts.bytes.down).toBeGreaterThan(body + 3 * 22);
    });
  }

  it("fails a connection whose server does not choose the protocol asked for, instead of measuring another", async () => {
    const counter = new SocketCounter();
    const client = new Client(h1Only.origin, { connect: counter.secureConnector("h2"), allowH2: true });
    await expect(client.request({ method: "GET", path: "/" })).rejects.toThrow();
    await client.destroy();
  });
});
