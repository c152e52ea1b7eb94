import type { FastifyInstance } from "fastify";
import { chooseEncoding, countCompressed } from "../compression.js";
import type { LabDeps } from "../deps.js";
import { requestClient, subscribeQuery, type SubscribeQuery, toInteger } from "../schemas.js";
import { readPage, sendPollAnswer } from "./poll-body.js";

/** Short polling: answer at once with whatever is after the cursor. */
export async function pollPlugin(app: FastifyInstance, { feed, stats, config }: LabDeps): Promise<void> {
  app.get<{ Querystring: SubscribeQuery }>("/api/poll", { schema: { querystring: subscribeQuery }, config: { transport: "poll" } }, (request, reply) => {
    const after = toInteger("after", request.query.after);
    const result = readPage(feed, config, after);
    stats.add("poll", requestClient(request.query), "delivered", result.entries.length);
    const encoding = chooseEncoding(config, request.headers["accept-encoding"]);
    if (encoding) countCompressed(stats, "poll");
    return sendPollAnswer(reply, result, encoding);
  });
}
