import type { FastifyInstance } from "fastify";
import { encodeNdjsonLine } from "../../protocol/encode.js";
import type { HeartbeatSignal } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { subscribeQuery, type SubscribeQuery, toInteger } from "../schemas.js";
import { Delivery } from "./delivery.js";
import { serveHeldStream } from "./held-stream.js";

const CONTENT_TYPE = "application/x-ndjson; charset=utf-8";

/** HTTP streaming: one chunked NDJSON response, one JSON object per line. */
export async function streamPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const delivery = new Delivery(deps, {
    transport: "stream",
    message: (entry) => Buffer.from(encodeNdjsonLine(entry.json)),
    reset: (signal) => Buffer.from(encodeNdjsonLine(JSON.stringify(signal))),
    heartbeat: () => Buffer.from(encodeNdjsonLine(JSON.stringify({ type: "heartbeat", time: Date.now() } satisfies HeartbeatSignal))),
    preamble: null,
  });
  app.addHook("preClose", async () => delivery.endAll());

  app.get<{ Querystring: SubscribeQuery }>(
    "/api/stream",
    { schema: { querystring: subscribeQuery }, config: { transport: "stream" } },
    async (request, reply) => {
      serveHeldStream(request, reply, delivery, CONTENT_TYPE, toInteger("after", request.query.after));
    },
  );
}
