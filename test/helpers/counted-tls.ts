import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";

/**
 * A TLS client over a TCP socket of its own, so that the bytes it really sent and received (TLS
 * records and handshake included) are that socket's `bytesWritten` and `bytesRead`.
 */
export interface CountedTls {
  tcp: net.Socket;
  secure: tls.TLSSocket;
  /** Resolves once the TCP socket has closed: its counters are then final. */
  closed: Promise<void>;
}

export function countedTls(port: number, alpn: "h2" | "http/1.1", options: tls.ConnectionOptions = {}): CountedTls {
  const tcp = net.connect(port, "127.0.0.1");
  tcp.setNoDelay(true);
  const closed = new Promise<void>((resolve) => tcp.once("close", () => resolve()));
  tcp.on("error", () => undefined);
  // The lab's development certificate is self-signed: trust is not what these tests are about.
  const secure = tls.connect({ ...options, socket: tcp, ALPNProtocols: [alpn], rejectUnauthorized: false, servername: "localhost" });
  secure.on("error", () => undefined);
  return { tcp, secure, closed };
}

/** An HTTP/2 session on a counted TLS connection. */
export function countedHttp2(port: number): CountedTls & { session: http2.ClientHttp2Session } {
  const counted = countedTls(port, "h2");
  const session = http2.connect(`https://127.0.0.1:${port}`, { createConnection: () => counted.secure });
  session.on("error", () => undefined);
  return { ...counted, session };
}
