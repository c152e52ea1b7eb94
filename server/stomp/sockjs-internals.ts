import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Connection, Server, ServerOptions } from "sockjs";

/**
 * What the `sockjs` package has but neither documents nor types, kept to this one module (and
 * checked by test/stomp/sockjs-raw.test.ts and sockjs.test.ts, so that an upgrade that changes them fails there):
 *
 * - `Server#listener(options).getHandler()`: the request handler `installHandlers` puts on an HTTP
 *   server. Installed there, it removes every other `request` and `upgrade` listener and calls them
 *   only for the paths it does not take, so the lab's meter would never see a SockJS request; the lab
 *   routes `/chat` through Fastify instead (gate, meter, caps) and hands the request to this handler.
 * - `listener.app.handle_500`: how SockJS answers its own deliberate 500s (see `sockjsHandler`).
 * - `faye_server_options`: passed to faye-websocket, which otherwise accepts 64 MiB messages, and
 *   whose `headers` it adds to its handshake response.
 * - A connection's unsent bytes: SockJS queues messages in its session (`_session.send_buffer`) while
 *   no request is attached to take them (between two polls), then writes them to the attached
 *   receiver's socket. It gives no count and no drain signal; a slow consumer is only seen here.
 */
export type SockjsHandler = (request: IncomingMessage, target: ServerResponse | Duplex, head?: Buffer) => boolean;

export interface FullServerOptions extends ServerOptions {
  faye_server_options?: { maxLength?: number; headers?: Record<string, string> };
}

interface Listener {
  getHandler(): SockjsHandler;
  app: { handle_500?: (request: IncomingMessage, response: ServerResponse, error: { message?: string }) => boolean };
}

export function sockjsHandler(server: Server, options?: FullServerOptions): SockjsHandler {
  const listener = (server as Server & { listener(options?: FullServerOptions): Listener }).listener(options);
  // The SockJS protocol answers a send without a payload, or with broken JSON, with 500; SockJS
  // throws those as `{status: 500}` and looks for a `handle_500` before its generic error answer
  // (which real exceptions still get). They are the client's mistakes: 400 here, as everywhere.
  listener.app.handle_500 = (_request, response, error) => {
    response.writeHead(400, { "content-type": "text/plain; charset=UTF-8" });
    response.end(error.message ?? "");
    return true;
  };
  return listener.getHandler();
}

interface SessionInternals {
  send_buffer?: string[];
  recv?: { connection?: Duplex & { writableLength?: number }; response?: ServerResponse | null } | null;
}

/** Characters queued in the session plus bytes waiting in the socket of the request that carries them. */
export function unsentBytes(connection: Connection): number {
  const session = (connection as Connection & { _session?: SessionInternals })._session;
  if (session === undefined) return 0;
  let unsent = 0;
  for (const message of session.send_buffer ?? []) unsent += message.length;
  const socket = session.recv?.connection ?? session.recv?.response?.socket;
  return unsent + (socket?.writableLength ?? 0);
}

/** Close with a numeric code: the types say string, but SockJS puts it into the close frame as given, and clients read a number. */
export function closeConnection(connection: Connection, code: number, reason: string): void {
  (connection as unknown as { close(code: number, reason: string): boolean }).close(code, reason);
}
