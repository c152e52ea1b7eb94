import type { FastifyReply } from "fastify";
import { compressBody, type HttpEncoding, varyOnEncoding } from "../compression.js";
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

/**
 * Send a poll or long-poll answer: never cached, since the same URL answers differently over time.
 * `encoding` from `chooseEncoding`: compressed when a coding is given (each answer on its own: no
 * two clients share a cursor), `Vary` whenever compression is on.
 *
 * Synchronous unless it compresses: a poll's answer is a few microseconds of work, and an async
 * route handler adds a promise and a microtask turn to each (7% of the server's CPU per poll
 * under autocannon). Fastify takes the reply or the promise alike from a handler.
 */
export function sendPollAnswer(reply: FastifyReply, result: ReadResult, encoding: HttpEncoding | null | undefined): FastifyReply | Promise<FastifyReply> {
  void reply.header("cache-control", "no-store").type("application/json; charset=utf-8");
  const body = encodePollBody(result);
  if (encoding === undefined) return reply.send(body);
  varyOnEncoding(reply);
  if (encoding === null) return reply.send(body);
  return sendCompressed(reply, body, encoding);
}

async function sendCompressed(reply: FastifyReply, body: string, encoding: HttpEncoding): Promise<FastifyReply> {
  return reply.header("content-encoding", encoding).send(await compressBody(encoding, body));
}
