import { createServer, request as httpRequest, type Server } from "node:http";
import type { StatsResponse } from "../../../protocol/types.js";
import type { Cluster } from "../../cluster/cluster.js";

export interface StatsFront {
  url: string;
  close(): Promise<void>;
}

/**
 * The bench's view of a cluster as one server: `GET /api/stats` answers every instance's counters
 * summed (the feed's ids are the largest any instance has: they share one log), and every other
 * request (publishing) is passed to the load balancer as it came. Loopback only, for the bench's
 * own requests; subscribers never go through it.
 */
export async function startStatsFront(cluster: Cluster): Promise<StatsFront> {
  const lb = new URL(cluster.url);
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url?.startsWith("/api/stats") === true) {
      Promise.all(cluster.instances.map(async (i) => (await (await fetch(`${i.url}/api/stats`)).json()) as StatsResponse)).then(
        (all) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(sumStats(all)));
        },
        (error: unknown) => {
          res.writeHead(502, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "bad_gateway", message: String(error) }));
        },
      );
      return;
    }
    const upstream = httpRequest({ host: lb.hostname, port: lb.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every number summed, except the feed's ids and what each instance holds of the one shared log, which are the largest. */
export function sumStats(all: readonly StatsResponse[]): StatsResponse {
  const [first, ...rest] = all;
  if (first === undefined) throw new Error("no instance answered");
  const sum = (a: unknown, b: unknown, key: string): unknown => {
    if (typeof a === "number" && typeof b === "number") return key === "lastId" || key === "oldestId" || key === "retained" ? Math.max(a, b) : a + b;
    if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? sum(out[k], v, k) : v;
      return out;
    }
    return a;
  };
  return rest.reduce<StatsResponse>((total, one) => sum(total, one, "") as StatsResponse, structuredClone(first));
}
