import type { FastifyInstance } from "fastify";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "../../protocol/encode.js";
import type { LabDeps } from "../deps.js";
import { badRequest, subscribeQuery, type SubscribeQuery, toInteger, UINT_PATTERN } from "../schemas.js";
import { Delivery } from "./delivery.js";
import { serveHeldStream } from "./held-stream.js";

const cursorRe = new RegExp(UINT_PATTERN);
const CONTENT_TYPE = "text/event-stream; charset=utf-8";

/**
 * Server-Sent Events. Each message is an event whose `id:` is the message id, so the browser's
 * automatic reconnect sends it back as `Last-Event-ID` and resumes exactly after it.
 */
export async function ssePlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const delivery = new Delivery(deps, {
    transport: "sse",
    message: (entry) => Buffer.from(encodeSseEvent(entry.json, { id: entry.message.id })),
    // The reset's id is where the server continues, so a reconnect right after it resumes there.
    reset: (signal) => Buffer.from(encodeSseEvent(JSON.stringify(signal), { event: "reset", id: signal.cursor })),
    heartbeat: () => Buffer.from(encodeSseComment("heartbeat")),
    preamble: Buffer.from(encodeSseRetry(deps.config.sseRetryMs)),
  });
  app.addHook("preClose", async () => delivery.endAll());

  app.get<{ Querystring: SubscribeQuery }>("/api/sse", { schema: { querystring: subscribeQuery }, config: { transport: "sse" } }, async (request, reply) => {
    const lastEventId = request.headers["last-event-id"];
    if (lastEventId !== undefined && (typeof lastEventId !== "string" || !cursorRe.test(lastEventId))) {
      throw badRequest('header: "last-event-id" must be a message id (a non-negative integer)');
    }
    const after = toInteger("last-event-id", lastEventId) ?? toInteger("after", request.query.after);
    serveHeldStream(request, reply, delivery, CONTENT_TYPE, after);
  });
}
