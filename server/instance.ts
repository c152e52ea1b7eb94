import type { WebSocketServer } from "ws";
import type { RequestCheck } from "./request-gate.js";

/**
 * `X-Lab-Instance`: which of several instances behind a load balancer served a request (LAB_INSTANCE).
 * Sent only when the instance is named: a single server has nothing to tell apart, and every byte of
 * a poll answer's head is part of what the lab measures.
 */
export const INSTANCE_HEADER = "x-lab-instance";

/**
 * The request gate's check that names the instance, on the reply: Fastify passes its headers to
 * `writeHead` in one object. Not `reply.raw.setHeader`: a response with a header set that way makes
 * `writeHead` validate and set every other header one by one, which cost a poll several µs of
 * server CPU (measured with autocannon). Held streams pass the reply's headers on when they
 * hijack; SockJS, which writes its own heads, gets it from `sockjs.ts`; upgrades answer on the
 * socket, and `announceInstance` covers those.
 */
export function instanceHeaderCheck(name: string): RequestCheck {
  return (_request, reply) => {
    reply.header(INSTANCE_HEADER, name);
    return undefined;
  };
}

/** Names the instance in every WebSocket handshake response `wss` writes. */
export function announceInstance(wss: WebSocketServer, name: string): void {
  const line = `X-Lab-Instance: ${name}`;
  wss.on("headers", (headers) => headers.push(line));
}
