import type { FastifyInstance, FastifyReply } from "fastify";
import { chooseEncoding, countCompressed } from "../compression.js";
import type { LabDeps } from "../deps.js";
import type { ReadResult } from "../feed.js";
import { longPollQuery, requestClient, toInteger } from "../schemas.js";
import { readPage, sendPollAnswer } from "./poll-body.js";

interface LongPollQuery {
  after?: string;
  timeout?: string;
  client?: string;
}

/**
 * Long polling: answer at once when something is after the cursor, else hold the request until a
 * message arrives, the timeout passes, the client leaves or the server shuts down. Each held
 * request owns one feed subscription and one timer, both released on every one of those paths.
 */
export async function longPollPlugin(app: FastifyInstance, { feed, stats, config }: LabDeps): Promise<void> {
  const waiting = new Set<() => void>();

  app.addHook("preClose", async () => {
    for (const answerNow of [...waiting]) answerNow();
  });

  app.get<{ Querystring: LongPollQuery }>(
    "/api/long-poll",
    { schema: { querystring: longPollQuery }, config: { transport: "long-poll" } },
    // Not async: an answer that is ready is sent at once, without a promise (poll-body.ts).
    (request, reply) => {
      const after = toInteger("after", request.query.after);
      const timeout = Math.min(toInteger("timeout", request.query.timeout) ?? config.longPollDefaultMs, config.longPollMaxMs);
      const client = requestClient(request.query);
      const encoding = chooseEncoding(config, request.headers["accept-encoding"]);
      const answer = (result: ReadResult): FastifyReply | Promise<FastifyReply> => {
        stats.add("long-poll", client, "delivered", result.entries.length);
        if (encoding) countCompressed(stats, "long-poll");
        return sendPollAnswer(reply, result, encoding);
      };

      const first = readPage(feed, config, after);
      // Never held: a HEAD (it has no body to wait for) and any poll once shutdown has begun.
      if (first.entries.length > 0 || first.reset !== null || request.method === "HEAD" || app.lab.closing) return answer(first);

      // Nothing yet: wait for the first message after this point.
      const waitAfter = after ?? feed.lastId;
      return new Promise<FastifyReply>((resolve) => {
        const finish = (result: ReadResult | null): void => {
          unsubscribe();
          clearTimeout(timer);
          waiting.delete(answerNow);
          reply.raw.off("close", onClientGone);
          if (result === null) stats.add("long-poll", client, "disconnects");
          // A client that left still gets its (empty) answer: written to a closed socket, it is
          // dropped, and Fastify's own request lifecycle completes normally.
          resolve(answer(result ?? { entries: [], reset: null, more: false, cursor: waitAfter }));
        };
        const answerNow = (): void => finish(readPage(feed, config, waitAfter));
        const onClientGone = (): void => {
          if (!reply.raw.writableEnded) finish(null);
        };
        const unsubscribe = feed.subscribe(answerNow);
        const timer = setTimeout(answerNow, timeout);
        waiting.add(answerNow);
        // The response closing before it was written means the client went away.
        reply.raw.on("close", onClientGone);
      });
    },
  );
}
