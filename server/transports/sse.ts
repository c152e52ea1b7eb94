import type { FastifyInstance } from "fastify";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "../../protocol/encode.js";
import type { LabDeps } from "../app.js";
import { badRequest, subscribeQuery, toInteger, UINT_PATTERN, type SubscribeQuery } from "../schemas.js";
import { HeldStreams } from "./held-stream.js";

const cursorRe = new RegExp(UINT_PATTERN);

/**
 * Server-Sent Events. Each message is an event whose `id:` is the message id, so the browser's
 * automatic reconnect sends it back as `Last-Event-ID` and resumes exactly after it.
 */
export async function ssePlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const streams = new HeldStreams(deps, {
    transport: "sse",
    contentType: "text/event-stream; charset=utf-8",
    preamble: encodeSseRetry(deps.config.sseRetryMs),
    message: (entry) => encodeSseEvent(entry.json, { id: entry.message.id }),
    // The reset's id is where the server continues, so a reconnect right after it resumes there.
    reset: (signal) => encodeSseEvent(JSON.stringify(signal), { event: "reset", id: signal.cursor }),
    heartbeat: () => encodeSseComment("heartbeat"),
  });
  app.addHook("preClose", async () => streams.endAll());

  app.get<{ Querystring: SubscribeQuery }>(
    "/api/sse",
    { schema: { querystring: subscribeQuery }, config: { transport: "sse" } },
    async (request, reply) => {
      const lastEventId = request.headers["last-event-id"];
      if (lastEventId !== undefined && (typeof lastEventId !== "string" || !cursorRe.test(lastEventId))) {
        throw badRequest('header: "last-event-id" must be a message id (a non-negative integer)');
      }
      const after = toInteger("last-event-id", lastEventId) ?? toInteger("after", request.query.after);
      streams.serve(request, reply, after);
    },
  );
}
