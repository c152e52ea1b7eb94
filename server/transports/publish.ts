import type { FastifyInstance } from "fastify";
import type { PublishRequest } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { FeedUnavailableError } from "../feed.js";
import { refuse } from "../limits/refuse.js";
import { refuseShuttingDown } from "../shutdown-gate.js";
import { publishRateGuard } from "../limits/rate-limit.js";
import { clientQuery, publishBody } from "../schemas.js";

/** `POST /api/messages`: store a message and answer with it, byte for byte as subscribers get it. */
export async function publishPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { feed, config } = deps;
  app.post<{ Body: PublishRequest; Querystring: { client?: string } }>(
    "/api/messages",
    { schema: { body: publishBody(config), querystring: clientQuery }, config: { transport: "publish" }, onRequest: publishRateGuard(app, deps) },
    async (request, reply) => {
      // Checked again here: the request may have passed the shutdown gate before shutdown began and
      // waited for its rate-limit verdict since; nothing is acknowledged once it has begun.
      if (app.lab.closing) return refuseShuttingDown(request, reply, app.lab);
      const { from, text, nonce } = request.body;
      const stored = feed.publish(nonce === undefined ? { from, text } : { from, text, nonce });
      if (!(stored instanceof Promise)) return reply.code(201).type("application/json; charset=utf-8").send(stored.json);
      // A shared log (Redis): 201 only once it has stored the message; unreachable, 503 and nothing stored.
      try {
        const entry = await stored;
        return reply.code(201).type("application/json; charset=utf-8").send(entry.json);
      } catch (error) {
        if (!(error instanceof FeedUnavailableError)) throw error;
        return refuse(request, reply.header("retry-after", String(config.retryAfterSeconds)), 503, error.message);
      }
    },
  );
}
