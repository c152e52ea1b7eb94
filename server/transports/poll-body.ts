import type { FastifyReply } from "fastify";
import type { ReadResult } from "../feed.js";

/**
 * The poll and long-poll answer, assembled from each message's stored JSON so that a message
 * costs the same bytes here as on every other transport.
 */
export function encodePollBody(result: ReadResult, cursor: number): string {
  const messages = result.entries.map((entry) => entry.json).join(",");
  const reset = result.reset === null ? "" : `,"reset":${JSON.stringify(result.reset)}`;
  return `{"messages":[${messages}],"cursor":${cursor},"more":${result.more}${reset}}`;
}

/** Where the next request should continue: after the last message sent, else where this one was. */
export function nextCursor(result: ReadResult, after: number | undefined, lastId: number): number {
  const last = result.entries.at(-1);
  if (last !== undefined) return last.message.id;
  if (result.reset !== null) return result.reset.cursor;
  return after ?? lastId;
}

/** Send a poll or long-poll answer: never cached, since the same URL answers differently over time. */
export function sendPollAnswer(reply: FastifyReply, result: ReadResult, after: number | undefined, lastId: number): FastifyReply {
  return reply
    .header("cache-control", "no-store")
    .type("application/json; charset=utf-8")
    .send(encodePollBody(result, nextCursor(result, after, lastId)));
}
