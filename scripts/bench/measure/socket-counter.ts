import { connect as tcpConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { buildConnector } from "undici";
import type { ClientCounts } from "../results.js";

/**
 * Counts what the generator's own clients put on the wire: Node's socket counters, read when a
 * socket closes and live for sockets still open, so a snapshot can be taken at any moment. Under
 * TLS it counts the TCP socket beneath the `TLSSocket` (whose own counters are plaintext), so
 * records, handshakes and all are counted as the server counts them.
 */
export class SocketCounter {
  requests = 0;
  /** Bytes of HTTP bodies and WebSocket payloads the clients read: what is left of `down` once headers, framing and TLS are taken away. */
  body = 0;
  private connections = 0;
  private closedUp = 0;
  private closedDown = 0;
  private readonly live = new Set<Socket>();

  track(socket: Socket): void {
    this.connections++;
    this.live.add(socket);
    socket.once("close", () => {
      this.closedUp += socket.bytesWritten;
      this.closedDown += socket.bytesRead;
      this.live.delete(socket);
    });
  }

  snapshot(): ClientCounts {
    let up = this.closedUp;
    let down = this.closedDown;
    for (const socket of this.live) {
      up += socket.bytesWritten;
      down += socket.bytesRead;
    }
    return { bytes: { up, down }, requests: this.requests, connections: this.connections, body: this.body };
  }

  /**
   * A TLS connection over a TCP socket this counter tracks, offering only `alpn`: a server that
   * picks anything else fails the connection rather than measure another protocol. The
   * development certificate is self-signed, so it is not verified (loopback only).
   */
  secure(options: ConnectionOptions & { host: string; port: number; localAddress?: string }, alpn: "h2" | "http/1.1"): TLSSocket {
    const tcp = tcpConnect({ host: options.host, port: options.port, localAddress: options.localAddress });
    tcp.setNoDelay(true);
    this.track(tcp);
    const secure = tlsConnect({
      ...options,
      socket: tcp,
      ALPNProtocols: [alpn],
      rejectUnauthorized: false,
      servername: isIP(options.host) === 0 ? options.host : undefined,
    });
    secure.once("secureConnect", () => {
      if (secure.alpnProtocol !== alpn) secure.destroy(new Error(`TLS: asked ALPN ${alpn}, the server chose ${String(secure.alpnProtocol)}`));
    });
    return secure;
  }

  /** An undici `connect` option over TLS (HTTP/2 when `alpn` is h2), counting the TCP socket underneath. */
  secureConnector(alpn: "h2" | "http/1.1"): buildConnector.connector {
    return (options, callback) => {
      let settled = false;
      const secure = this.secure({ host: options.hostname, port: Number(options.port), localAddress: options.localAddress ?? undefined }, alpn);
      secure.once("secureConnect", () => {
        if (settled || secure.destroyed) return;
        settled = true;
        callback(null, secure);
      });
      secure.once("error", (error) => {
        if (settled) return;
        settled = true;
        callback(error, null);
      });
    };
  }

  /** An undici `connect` option that opens sockets as undici would and tracks each one. */
  connector(): buildConnector.connector {
    const base = buildConnector({});
    return (options, callback) => {
      base(options, (...args) => {
        const [error, socket] = args;
        if (error === null) this.track(socket);
        callback(...args);
      });
    };
  }
}

export function diffCounts(after: ClientCounts, before: ClientCounts): ClientCounts {
  return {
    bytes: { up: after.bytes.up - before.bytes.up, down: after.bytes.down - before.bytes.down },
    requests: after.requests - before.requests,
    connections: after.connections - before.connections,
    body: (after.body ?? 0) - (before.body ?? 0),
  };
}

export function sumCounts(items: readonly ClientCounts[]): ClientCounts {
  const total: ClientCounts = { bytes: { up: 0, down: 0 }, requests: 0, connections: 0, body: 0 };
  for (const c of items) {
    total.body = (total.body ?? 0) + (c.body ?? 0);
    total.bytes.up += c.bytes.up;
    total.bytes.down += c.bytes.down;
    total.requests += c.requests;
    total.connections += c.connections;
  }
  return total;
}
