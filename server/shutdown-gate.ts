import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { LabDeps } from "./deps.js";
import { refuse } from "./limits/refuse.js";
import type { RequestCheck } from "./request-gate.js";
import { isHttp2 } from "./transports/http2-stream.js";

/**
 * From the first moment of shutdown, nothing new is promised. `closing` is set before any other
 * shutdown step (pending long polls are answered after it), so every message acknowledged before it
 * is in those answers, and no publish is acknowledged after it: `POST /api/messages` gets 503, a
 * WebSocket send is dropped as its socket closes with 1001. New streams, SSE and WebSockets get 503;
 * polls and long polls are still answered from the history, at once, so a subscriber between two
 * polls can still collect what was acknowledged. Every answer then says `Connection: close`; on
 * HTTP/2 the same 503s apply per stream, and the connection gets GOAWAY once the transports have
 * closed theirs (SecureListener.close(), in an onClose hook).
 *
 * After every transport has had its preClose (long polls answered, streams ended, WebSockets
 * closed), `shutdownDrainPlugin`, registered last, keeps the listener open for `shutdownDrainMs`
 * more, for those last polls; then Fastify closes the listener and idle sockets.
 *
 * Fastify's own `return503OnClosing` is off: its 503 body is not this API's `{error, message}`,
 * and it would turn away those last polls.
 */
export function installShutdownGate(app: FastifyInstance, deps: LabDeps): RequestCheck {
  app.addHook("preClose", async () => {
    deps.closing = true;
  });
  return (request, reply) => {
    if (!deps.closing) return undefined;
    // HTTP/2 has no Connection header (it is an error there): its sessions get GOAWAY instead.
    if (!isHttp2(request.raw)) reply.header("connection", "close");
    const transport = request.routeOptions.config.transport;
    const refused = (transport === "publish" && request.method === "POST") || transport === "stream" || transport === "sse" || transport === "ws";
    if (!refused) return undefined;
    return refuseShuttingDown(request, reply, deps);
  };
}

/** 503 with `Retry-After`: this process is going away. */
export function refuseShuttingDown(request: FastifyRequest, reply: FastifyReply, { config }: Pick<LabDeps, "config">): FastifyReply {
  return refuse(request, reply.header("retry-after", String(config.retryAfterSeconds)), 503, "the server is shutting down; retry against its next start");
}

/** Registered after every other plugin, so that its preClose runs last (see above). */
export async function shutdownDrainPlugin(app: FastifyInstance, { config }: LabDeps): Promise<void> {
  app.addHook("preClose", async () => {
    if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
  });
}
