import type { IncomingMessage, ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2Session } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import { Duplex } from "node:stream";
import tls, { type TLSSocket } from "node:tls";
import type { FastifyInstance } from "fastify";
import { answerExpectation } from "../errors.js";
import type { Certificate } from "./certificate.js";

/** What `HTTP/2` sockets really are underneath, for the meter: the TCP socket, where ciphertext passes. */
const tcpOf = new WeakMap<object, Socket>();
/** The client address of an HTTP/2 connection (its session's socket is a stream of ours, with none). */
const peerOf = new WeakMap<Http2Session, { address: string; port: number }>();
/** The plaintext stream an HTTP/2 session reads, where the meter sees its frames. */
const wireOf = new WeakMap<Http2Session, H2Wire>();

/** The TCP socket under a TLS socket this listener accepted; the socket itself for plain TCP. */
export function tcpSocket(socket: Socket): Socket {
  return tcpOf.get(socket) ?? socket;
}

/** The client's address for an HTTP/2 request, which `request.socket.remoteAddress` does not give. */
export function http2Peer(raw: unknown): { address: string; port: number } | undefined {
  const session = (raw as Partial<Http2ServerRequest>).stream?.session;
  return session === undefined ? undefined : peerOf.get(session);
}

/** The plaintext stream of an HTTP/2 request's connection (`request.raw`), for the meter to find its frames' counts. */
export function http2Wire(raw: unknown): H2Wire | undefined {
  const session = (raw as Partial<Http2ServerRequest>).stream?.session;
  return session === undefined ? undefined : wireOf.get(session);
}

export interface SecureAddress {
  port: number;
  url: string;
}

/**
 * The TLS listener: the same app as the plain one, reached over TLS, HTTP/2 or HTTP/1.1 as the
 * client's ALPN asks. It terminates TLS itself instead of using `http2.createSecureServer`, so that
 * both halves of what it measures stay observable:
 * - the TCP socket under TLS, whose counters are the bytes that cross the network (records,
 *   handshake and all): `tcpSocket()` hands it to the meter;
 * - the plaintext of each HTTP/2 connection, which passes through a stream of ours (`H2Wire`) on its
 *   way to Node's HTTP/2 session, so that frames can be attributed to their streams.
 * HTTP/1.1 over TLS goes to the plain listener's own `http.Server` (`app.server`): its request
 * handling, timeouts and WebSocket upgrades are then exactly those of the plain port. HTTP/2
 * requests go to Fastify's router (`app.routing`), the same routes and hooks.
 */
export class SecureListener {
  private readonly tcp: net.Server;
  private readonly h2: http2.Http2Server;
  private readonly sessions = new Set<Http2Session>();
  private readonly sockets = new Set<Socket>();
  private pendingPeer: { address: string; port: number } | undefined;
  private pendingWire: H2Wire | undefined;
  /**
   * An HTTP/2 connection without a stream for this long is closed (GOAWAY), as the plain listener
   * closes an idle keep-alive connection: otherwise a client could hold sockets for good by opening
   * connections and never a stream. Read when a connection opens.
   */
  idleTimeoutMs: number;
  /** Called with each HTTP/2 connection's plaintext stream, before the session reads from it. */
  onHttp2Connection: ((wire: H2Wire, tcp: Socket) => void) | null = null;

  constructor(
    private readonly app: FastifyInstance,
    certificate: Certificate,
    private readonly handshakeTimeoutMs: number,
    idleTimeoutMs: number,
  ) {
    this.idleTimeoutMs = idleTimeoutMs;
    const secureContext = tls.createSecureContext({ key: certificate.key, cert: certificate.cert });
    this.h2 = http2.createServer({ settings: { enableConnectProtocol: false } });
    this.h2.on("session", (session) => {
      if (this.pendingPeer !== undefined) peerOf.set(session, this.pendingPeer);
      if (this.pendingWire !== undefined) wireOf.set(session, this.pendingWire);
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
      session.on("error", () => session.destroy());
      let streams = 0;
      session.on("stream", (stream) => {
        streams++;
        stream.once("close", () => streams--);
      });
      // Fires after that long without a frame either way; a held stream's heartbeats keep it quiet.
      session.setTimeout(this.idleTimeoutMs, () => {
        if (streams === 0) session.close();
      });
    });
    this.h2.on("checkExpectation", answerExpectation);
    this.h2.on("request", (request, response) => app.routing(request as unknown as IncomingMessage, response as unknown as ServerResponse));
    this.tcp = net.createServer((socket) => this.accept(socket, secureContext));
  }

  private accept(socket: Socket, secureContext: tls.SecureContext): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // No Nagle, as the plain listener's http.Server sets for its connections: with it, a second small
    // write (an HTTP/2 answer's DATA after its HEADERS, a TLS record after another) waits for the
    // client's delayed ACK, ~40 ms; the bench measured long polls over HTTP/2 at 47 ms p50 for it.
    socket.setNoDelay(true);
    const secure: TLSSocket = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ["h2", "http/1.1"] });
    tcpOf.set(secure, socket);
    secure.on("error", () => secure.destroy());
    // A client that never finishes its handshake holds a socket: it gets as long as a request's headers.
    const timer = setTimeout(() => secure.destroy(), this.handshakeTimeoutMs);
    secure.once("close", () => clearTimeout(timer));
    secure.once("secure", () => {
      clearTimeout(timer);
      if (secure.alpnProtocol === "h2") {
        const wire = new H2Wire(secure);
        tcpOf.set(wire, socket);
        this.onHttp2Connection?.(wire, socket);
        this.pendingPeer = { address: socket.remoteAddress ?? "gone", port: socket.remotePort ?? 0 };
        this.pendingWire = wire;
        this.h2.emit("connection", wire);
        this.pendingPeer = undefined;
        this.pendingWire = undefined;
      } else {
        this.app.server.emit("connection", secure);
      }
    });
  }

  async listen(host: string, port: number): Promise<SecureAddress> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen({ host, port }, () => {
        this.tcp.off("error", reject);
        resolve();
      });
    });
    const address = this.tcp.address() as AddressInfo;
    const name = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return { port: address.port, url: `https://${name}:${address.port}` };
  }

  /** Stop accepting; tell HTTP/2 clients to go (GOAWAY) once their streams are done. */
  close(): Promise<void> {
    for (const session of this.sessions) session.close();
    return new Promise((resolve) => {
      if (!this.tcp.listening) return resolve();
      this.tcp.close(() => resolve());
    });
  }

  /** Cut every connection still open (after the shutdown grace time). */
  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * The plaintext of one HTTP/2 connection, between the TLS socket and Node's HTTP/2 session. It
 * only passes bytes through (with backpressure both ways) and counts them; `onData`, when set, sees
 * each chunk in each direction (the meter parses frames from it).
 *
 * The client's end of input (close_notify, FIN) ends the whole connection: once the session has
 * read every byte before it, the wire is destroyed, and the session with it. It is not passed on as
 * an end of stream, because Node's session, reading through a JS stream, then shuts its socket's
 * writing side while it can still write (a delivery, a heartbeat, a stream reset), and Node 20
 * asserts on such a write, killing the process. A client that stopped reading held that shutdown
 * open for good, with its streams. HTTP/2 has no half-closed connection to honour (RFC 9113, 5.1
 * half-closes streams, not connections).
 */
export class H2Wire extends Duplex {
  bytesIn = 0;
  bytesOut = 0;
  onData: ((direction: "in" | "out", chunk: Buffer) => void) | null = null;
  private inputEnded = false;

  constructor(private readonly secure: TLSSocket) {
    super({ allowHalfOpen: false });
    secure.on("data", (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.onData?.("in", chunk);
      if (!this.push(chunk)) secure.pause();
    });
    secure.once("end", () => {
      this.inputEnded = true;
      this.destroyOnceDrained();
    });
    secure.once("close", () => this.destroy());
  }

  override _read(): void {
    if (!this.destroyOnceDrained()) this.secure.resume();
  }

  /** After the client's end, once the session has taken every byte queued before it, the connection goes. */
  private destroyOnceDrained(): boolean {
    if (!this.inputEnded || this.readableLength > 0) return false;
    this.destroy();
    return true;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesOut += chunk.length;
    this.onData?.("out", chunk);
    if (this.secure.write(chunk)) callback();
    else this.secure.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.secure.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.secure.destroy();
    callback(error);
  }
}
