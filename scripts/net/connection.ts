import { Socket } from "node:net";
import type { HostPort } from "./address.js";
import { LinkDirection, type DirectionTotals } from "./direction.js";
import type { LinkProfile } from "./profiles.js";
import { handshakeDelayMs } from "./schedule.js";

export interface ConnectionSetup {
  target: HostPort;
  profile: LinkProfile;
  queueLimitBytes: number;
  up: DirectionTotals;
  down: DirectionTotals;
  now: () => number;
  onClosed: (connection: LinkConnection) => void;
}

/**
 * One client connection and its upstream twin, joined by two LinkDirections (up: client → target,
 * down: target → client). It owns the timing of the handshake (see schedule.ts) and the way a
 * connection ends: a FIN travels like a byte, after everything queued before it; a reset (an error
 * on either socket, a refused upstream connect) travels in one-way time and drops what was queued.
 * A refused connect therefore reaches the client 2 RTT after it connected, where a real one fails
 * after 1 RTT: the proxy had accepted the client before it could know.
 */
export class LinkConnection {
  readonly up: LinkDirection;
  readonly down: LinkDirection;
  private readonly upstream = new Socket({ allowHalfOpen: true });
  private readonly oneWayMs: number;
  private connectTimer: NodeJS.Timeout | undefined;
  private resetTimer: NodeJS.Timeout | undefined;
  private resetting = false;
  private open = 2;

  constructor(
    private readonly client: Socket,
    private readonly setup: ConnectionSetup,
  ) {
    const { profile, queueLimitBytes, now } = setup;
    const acceptedAt = now();
    this.oneWayMs = profile.rttMs / 2;
    this.up = new LinkDirection(
      client,
      { oneWayMs: this.oneWayMs, bitsPerSecond: profile.upBitsPerSecond },
      queueLimitBytes,
      acceptedAt + handshakeDelayMs(profile.rttMs),
      setup.up,
      now,
    );
    this.down = new LinkDirection(
      this.upstream,
      { oneWayMs: this.oneWayMs, bitsPerSecond: profile.downBitsPerSecond },
      queueLimitBytes,
      acceptedAt,
      setup.down,
      now,
    );
    this.down.attach(client);
    this.wire(client, this.up, "client");
    this.wire(this.upstream, this.down, "upstream");
    this.upstream.once("connect", () => this.up.attach(this.upstream));
    const delay = handshakeDelayMs(profile.rttMs);
    if (delay === 0) this.connectUpstream();
    else this.connectTimer = setTimeout(() => this.connectUpstream(), delay);
  }

  /** Resets both sockets at once, without emulation: the link itself is going away, which is not a clean end. */
  destroy(): void {
    this.resetting = true;
    this.clearTimers();
    this.up.stop();
    this.down.stop();
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) continue;
      if (socket.connecting || socket.remoteAddress === undefined) socket.destroy();
      else socket.resetAndDestroy();
    }
  }

  private connectUpstream(): void {
    this.connectTimer = undefined;
    // No Nagle on either side: the link decides when bytes leave, not the proxy's own TCP stack.
    this.upstream.connect({ port: this.setup.target.port, host: this.setup.target.host, noDelay: true });
  }

  private wire(socket: Socket, direction: LinkDirection, side: "client" | "upstream"): void {
    socket.on("data", (chunk: Buffer) => direction.receive(chunk));
    socket.on("end", () => direction.receiveEnd());
    socket.on("error", () => this.reset(side));
    socket.once("close", () => {
      // A socket that closes before both of its halves ended cleanly (destroyed without an
      // error event) is a reset too; after 'error', reset() has already run and ignores this.
      if (!socket.readableEnded || !socket.writableFinished) this.reset(side);
      this.open -= 1;
      if (this.open === 0) {
        this.clearTimers();
        this.setup.onClosed(this);
      }
    });
  }

  /** `from` failed or was reset: the other side learns it one way later, with a RST of its own. */
  private reset(from: "client" | "upstream"): void {
    if (this.resetting) return;
    this.resetting = true;
    this.up.stop();
    this.down.stop();
    const other = from === "client" ? this.upstream : this.client;
    const mine = from === "client" ? this.client : this.upstream;
    mine.destroy();
    if (from === "client" && this.connectTimer !== undefined) {
      // The upstream was never opened: the server never hears of this client.
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      other.destroy();
      return;
    }
    const sendReset = () => {
      this.resetTimer = undefined;
      if (!other.destroyed) other.resetAndDestroy();
    };
    if (this.oneWayMs === 0) sendReset();
    else this.resetTimer = setTimeout(sendReset, this.oneWayMs);
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.resetTimer);
    this.connectTimer = undefined;
    this.resetTimer = undefined;
  }
}
