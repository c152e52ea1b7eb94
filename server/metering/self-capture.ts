import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { RequestCheck } from "../request-gate.js";
import { requestClient } from "../schemas.js";
import { refuse } from "../limits/refuse.js";

/**
 * The wire view's captures are real requests this server makes to itself. They are not traffic of
 * any transport, so they must not count in its figures: they name a client id drawn at start, which
 * the stats drop, and only the capture's own sockets may use it (a client that copied the id from
 * the wire view cannot hide its requests with it).
 */
export class SelfCaptures {
  readonly client = `wire-${randomBytes(6).toString("hex")}`;
  /** Local ports of the capture connections in flight (they reach the server as remote ports). */
  private readonly ports = new Set<number>();

  /** Register a capture socket once connected; it unregisters itself on close. */
  track(socket: Socket): void {
    const port = socket.localPort;
    if (port === undefined) return;
    this.ports.add(port);
    socket.once("close", () => this.ports.delete(port));
  }

  isCapture(socket: Socket): boolean {
    return socket.remotePort !== undefined && this.ports.has(socket.remotePort) && isLoopback(socket.remoteAddress);
  }
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127."));
}

/** Refuses the capture's client id from anyone but a capture socket. */
export function selfCaptureCheck(captures: SelfCaptures): RequestCheck {
  return (request, reply) => {
    if (requestClient(request.query) !== captures.client || captures.isCapture(request.raw.socket)) return undefined;
    return refuse(request, reply, 400, "this client id is reserved for the server's own wire captures");
  };
}
