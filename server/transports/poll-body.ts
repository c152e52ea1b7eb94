import type { FastifyReply } from "fastify";
import type { LabConfig } from "../config.js";
import type { Feed, ReadResult } from "../feed.js";

/**
 * One page after `after`: what a poll or long poll answers and what a catch-up writes at a time,
 * bounded by message count and by bytes, so that no request makes the server hold more than a page.
 */
export function readPage(feed: Feed, config: Pick<LabConfig, "pollPageLimit" | "pageBytes">, after: number | undefined): ReadResult {
  return feed.read(after, config.pollPageLimit, config.pageBytes);
}

/**
 * The poll and long-poll answer, assembled from each message's stored JSON so that a message
 * costs the same bytes here as on every other transport.
 */
export function encodePollBody(result: ReadResult): string {
  const messages = result.entries.map((entry) => entry.json).join(",");
  const reset = result.reset === null ? "" : `,"reset":${JSON.stringify(result.reset)}`;
  return `{"messages":[${messages}],"cursor":${result.cursor},"more":${result.more}${reset}}`;
}

/** Send a poll or long-poll answer: never cached, since the same URL answers differently over time. */
export function sendPollAnswer(reply: FastifyReply, result: ReadResult): FastifyReply {
  return reply.header("cache-control", "no-store").type("application/json; charset=utf-8").send(encodePollBody(result));
}
