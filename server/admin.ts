import type { FastifyInstance } from "fastify";
import type { LabDeps } from "./deps.js";

const dropQuery = {
  type: "object",
  additionalProperties: false,
  properties: { fraction: { type: "string", pattern: "^(0(\\.[0-9]{1,6})?|1)$" } },
} as const;

/**
 * Fault injection for tests and benchmarks, only when `LAB_ADMIN_HOOKS=1`: `POST /api/admin/drop`
 * destroys the TCP sockets of held connections (all, or a random `fraction`) mid-whatever they were
 * writing, as a crashed proxy or a lost network would. Off by default; never for production.
 */
export async function adminPlugin(app: FastifyInstance, { config }: LabDeps): Promise<void> {
  if (!config.adminHooks) return;
  app.post<{ Querystring: { fraction?: string } }>("/api/admin/drop", { schema: { querystring: dropQuery } }, async (request) => {
    const fraction = request.query.fraction === undefined ? 1 : Number(request.query.fraction);
    return { dropped: app.heldConnections.destroySockets(fraction) };
  });
}
