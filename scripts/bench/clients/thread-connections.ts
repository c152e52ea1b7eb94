import { subscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import type { SocketCounter } from "../measure/socket-counter.js";

let counting: SocketCounter | null = null;

/**
 * Counts every TCP socket this thread opens and every HTTP request it starts, from Node's own
 * diagnostics channels. sockjs-client takes no agent and no socket factory: its XHR and EventSource
 * sub-transports go through Node's global HTTP agent, its WebSocket through faye-websocket's own
 * `net.connect`, so there is no socket to hand a counter. A subscriber thread runs one transport's
 * clients and nothing else, so what the thread opens is what those clients opened; the channels
 * are per thread, so the main thread's stats and publishing are never counted here. A WebSocket
 * upgrade is not an HTTP client request to Node (faye writes it on the socket): its caller counts it.
 */
export function countThreadConnections(counter: SocketCounter): void {
  if (counting === counter) return;
  if (counting !== null) throw new Error("countThreadConnections: this thread already counts for another counter");
  counting = counter;
  subscribe("net.client.socket", (message) => counter.track((message as { socket: Socket }).socket));
  subscribe("http.client.request.start", () => {
    counter.requests++;
  });
}
