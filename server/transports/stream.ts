import type { FastifyInstance } from "fastify";
import { encodeNdjsonLine } from "../../protocol/encode.js";
import type { HeartbeatSignal } from "../../protocol/types.js";
import type { LabDeps } from "../app.js";
import { subscribeQuery, toInteger, type SubscribeQuery } from "../schemas.js";
import { HeldStreams } from "./held-stream.js";

/** HTTP streaming: one chunked NDJSON response, one JSON object per line. */
export async function streamPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const streams = new HeldStreams(deps, {
    transport: "stream",
    contentType: "application/x-ndjson; charset=utf-8",
    preamble: "",
    message: (entry) => encodeNdjsonLine(entry.json),
    reset: (signal) => encodeNdjsonLine(JSON.stringify(signal)),
    heartbeat: () => encodeNdjsonLine(JSON.stringify({ type: "heartbeat", time: Date.now() } satisfies HeartbeatSignal)),
  });
  app.addHook("preClose", async () => streams.endAll());

  app.get<{ Querystring: SubscribeQuery }>(
    "/api/stream",
    { schema: { querystring: subscribeQuery }, config: { transport: "stream" } },
    async (request, reply) => {
      streams.serve(request, reply, toInteger("after", request.query.after));
    },
  );
}
