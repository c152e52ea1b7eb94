import type { Transport } from "./types.js";

/** The subscribe path of each transport, as the README's API table lists them. */
export const SUBSCRIBE_PATHS: Record<Transport, string> = {
  poll: "/api/poll",
  "long-poll": "/api/long-poll",
  stream: "/api/stream",
  sse: "/api/sse",
  ws: "/api/ws",
};

export interface SubscribeParams {
  /** Last id delivered; absent means "recent history, then live". */
  after?: number;
  /** Attribute this request's cost to a client id in /api/stats. */
  client?: string;
  /** Long polling only: how long the server may hold the request. */
  timeoutMs?: number;
}

/** Path and query of a subscribe request; relative, so a page and its dev proxy share it. */
export function subscribePath(transport: Transport, params: SubscribeParams = {}): string {
  const query = new URLSearchParams();
  if (params.after !== undefined) query.set("after", String(params.after));
  if (params.client !== undefined) query.set("client", params.client);
  if (params.timeoutMs !== undefined && transport === "long-poll") query.set("timeout", String(Math.max(0, Math.round(params.timeoutMs))));
  const search = query.toString();
  return SUBSCRIBE_PATHS[transport] + (search === "" ? "" : `?${search}`);
}
