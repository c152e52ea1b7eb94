import { afterEach, expect, it } from "vitest";
import { TRANSPORTS, type ChatMessage, type StatsResponse, type Transport } from "../../protocol/types.js";
import { ChaosSubscriber, seededRandom } from "../helpers/chaos-subscriber.js";
import { H2ChaosSubscriber } from "../helpers/h2-chaos-subscriber.js";
import { HTTP_VERSIONS } from "../helpers/http-versions.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

/**
 * While a publisher sends numbered messages, subscribers on every transport have their connections
 * cut at random moments: by themselves, inside a chunk (mid-line, mid-event, mid-frame, mid-body),
 * and by the server (`POST /api/admin/drop` destroys a random share of held sockets). Each one
 * reconnects from its last delivered id. At the end every subscriber must hold every message
 * exactly once, in order.
 */
const SEED = Number(process.env.FAULT_SEED ?? 20_261_125);
const MESSAGES = 1_500;
const PER_TRANSPORT = 4;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Run on HTTP/1.1 (every transport, each subscriber on connections of its own) and on HTTP/2
 * (polls, long polls, NDJSON and SSE, each subscriber on one connection of its own that it resets
 * streams on, or drops; WebSocket is HTTP/1.1 only).
 */
it.each(HTTP_VERSIONS)(
  `over %s every subscriber gets all ${MESSAGES} messages exactly once, in order, through random cuts on every transport`,
  async (version) => {
    server = await startServer(
      { adminHooks: true, publishRateMax: 1_000_000, historySize: 100_000, heartbeatMs: 200, longPollDefaultMs: 1_000, maxHeldPerIp: 1_000 },
      { tls: version === "HTTP/2" },
    );
    const s = server;
    const random = seededRandom(SEED);
    const start = s.app.lab.feed.lastId;
    const transports = version === "HTTP/2" ? TRANSPORTS.filter((t): t is Exclude<Transport, "ws"> => t !== "ws") : TRANSPORTS;
    const subscribers: (ChaosSubscriber | H2ChaosSubscriber)[] = transports.flatMap((transport) =>
      Array.from({ length: PER_TRANSPORT }, () =>
        transport !== "ws" && version === "HTTP/2"
          ? new H2ChaosSubscriber({ transport, url: s.secureUrl ?? "", after: start, cutProbability: 0.06, random })
          : new ChaosSubscriber({ transport, port: s.port, after: start, cutProbability: 0.06, random }),
      ),
    );
    for (const subscriber of subscribers) subscriber.start();

    let serverDrops = 0;
    let dropping = true;
    const dropper = (async () => {
      while (dropping) {
        await new Promise((resolve) => setTimeout(resolve, 50 + random() * 100));
        const answer = await fetch(`${s.url}/api/admin/drop?fraction=0.3`, { method: "POST" });
        serverDrops += ((await answer.json()) as { dropped: number }).dropped;
      }
    })();

    const published: number[] = [];
    for (let n = 1; n <= MESSAGES; n++) {
      const response = await fetch(`${s.url}/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: "publisher", text: `message ${n} ${"·".repeat(Math.floor(random() * 300))}`, nonce: String(n) }),
      });
      expect(response.status).toBe(201);
      published.push(((await response.json()) as ChatMessage).id);
      if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, random() * 15));
    }
    dropping = false;
    await dropper;
    const last = published.at(-1);
    await waitFor(() => subscribers.every((s) => s.last === last), "every subscriber to catch up", 30_000);
    await Promise.all(subscribers.map((s) => s.stop()));

    let losses = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    for (const subscriber of subscribers) {
      const got = new Set(subscriber.delivered);
      losses += published.filter((id) => !got.has(id)).length;
      duplicates += subscriber.cursor.duplicates + (subscriber.delivered.length - got.size);
      outOfOrder += subscriber.delivered.filter((id, i) => i > 0 && id <= (subscriber.delivered[i - 1] ?? 0)).length;
      expect(subscriber.delivered, `${subscriber.transport} subscriber`).toEqual(published);
      expect(subscriber.cursor.gaps).toBe(0);
      expect(subscriber.cursor.resets).toBe(0);
      expect(subscriber.refusals).toBe(0);
    }
    const clientKills = subscribers.reduce((sum, s) => sum + s.clientKills, 0);
    const byTransport = transports.map((t) => {
      const of = subscribers.filter((s) => s.transport === t);
      return `${t}: ${of.reduce((n, s) => n + s.connections, 0)} connections, ${of.reduce((n, s) => n + s.clientKills, 0)} cut by client, ${of.reduce((n, s) => n + s.serverEnds, 0)} ended by server`;
    });
    console.log(
      [
        `fault harness over ${version} (seed ${SEED}): ${subscribers.length} subscribers, ${MESSAGES} messages each`,
        `connections killed: ${clientKills} by clients mid-chunk + ${serverDrops} server-side drops = ${clientKills + serverDrops}`,
        `messages checked: ${MESSAGES * subscribers.length}; losses: ${losses}; duplicates: ${duplicates}; out of order: ${outOfOrder}`,
        ...byTransport,
      ].join("\n"),
    );
    expect(losses + duplicates + outOfOrder).toBe(0);
    expect(clientKills).toBeGreaterThan(50);
    expect(serverDrops).toBeGreaterThan(20);

    await waitFor(() => s.app.lab.feed.subscriberCount === 0 && s.app.heldConnections.size === 0, "every subscription released", 10_000);
    const stats = (await (await fetch(`${s.url}/api/stats`)).json()) as StatsResponse;
    for (const transport of transports) {
      if (transport === "poll") continue;
      expect(stats.transports[transport].disconnects, `${transport} disconnects`).toBeGreaterThan(0);
      expect(stats.transports[transport].open).toBe(0);
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/lab_disconnects_total\{transport="sse"\} [1-9]/);
  },
  120_000,
);
