import type { WebSocketServer } from "ws";
import type { RequestCheck } from "./request-gate.js";

/**
 * `X-Lab-Instance`: which of several instances behind a load balancer served a request (LAB_INSTANCE).
 * Sent only when the instance is named: a single server has nothing to tell apart, and every byte of
 * a poll answer's head is part of what the lab measures.
 */
export const INSTANCE_HEADER = "x-lab-instance";

/**
 * The request gate's check that names the instance. On the raw response rather than the reply:
 * hijacked responses (held streams, SockJS) write their head themselves, and Node's `writeHead`
 * keeps headers set this way. Upgrades answer on the socket; `announceInstance` covers those.
 */
export function instanceHeaderCheck(name: string): RequestCheck {
  return (_request, reply) => {
    reply.raw.setHeader(INSTANCE_HEADER, name);
    return undefined;
  };
}

/** Names the instance in every WebSocket handshake response `wss` writes. */
export function announceInstance(wss: WebSocketServer, name: string): void {
  const line = `X-Lab-Instance: ${name}`;
  wss.on("headers", (headers) => headers.push(line));
}
