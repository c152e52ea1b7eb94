import http from "node:http";
import { afterAll, expect, it } from "vitest";
import { METERED, TRANSPORTS, type ChatMessage, type StatsResponse } from "../../protocol/types.js";
import type { HealthResponse } from "../../server/metering/health.js";
import { ChaosSubscriber, seededRandom } from "../helpers/chaos-subscriber.js";
import { freePort, startChildServer, type ChildServer } from "../helpers/child-server.js";
import { waitFor } from "../helpers/server.js";

/**
 * A bounded soak: 1,000 subscribers spread evenly over the five transports against a server in its
 * own process, messages published steadily, random disconnects from both sides. At the end: no
 * loss, no duplicate, nothing left open, memory back near its baseline, event loop never stalled.
 */
const SUBSCRIBERS = Number(process.env.SOAK_SUBSCRIBERS ?? 1_000);
const PUBLISH_MS = Number(process.env.SOAK_PUBLISH_MS ?? 60_000);
const PUBLISH_EVERY_MS = 200;
const MiB = 2 ** 20;

let server: ChildServer | undefined;
afterAll(async () => server?.stop());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it(`${SUBSCRIBERS} subscribers over five transports: no loss, no duplicate, resources back to baseline`, async () => {
  const port = await freePort();
  server = await startChildServer(
    port,
    {
      LAB_MAX_HELD_CONNECTIONS: "5000",
      LAB_MAX_HELD_PER_IP: "5000",
      LAB_PUBLISH_RATE_MAX: "1000000",
      LAB_HISTORY_SIZE: "100000",
      LAB_ADMIN_HOOKS: "1",
    },
    ["--expose-gc"],
  );
  const url = server.url;
  const health = async (query = ""): Promise<HealthResponse> => (await (await fetch(`${url}/api/health${query}`)).json()) as HealthResponse;

  await sleep(2_000); // let start-up (module loading, JIT) settle before the baseline
  const baseline = await health("?gc=1&reset=1");
  const random = seededRandom(Number(process.env.SOAK_SEED ?? 1_000));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 500 });
  const start = ((await (await fetch(`${url}/api/poll`)).json()) as { cursor: number }).cursor;

  const subscribers: ChaosSubscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const transport = TRANSPORTS[i % TRANSPORTS.length] ?? "poll";
    const subscriber = new ChaosSubscriber({ transport, port, after: start, cutProbability: 0.003, random, agent, pollIntervalMs: 1_000, longPollMs: 20_000 });
    subscribers.push(subscriber);
    subscriber.start();
    if (i % 50 === 49) await sleep(100); // ramp up over ~2 s rather than one SYN flood
  }

  let peak = baseline;
  let serverDrops = 0;
  const published: number[] = [];
  const started = Date.now();
  let tick = 0;
  // Nothing below asserts until the report is printed: a failing soak must still say what it saw.
  const failedPublishes: string[] = [];
  while (Date.now() - started < PUBLISH_MS) {
    const response = await fetch(`${url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "soak", text: `message ${published.length + 1}`, nonce: String(published.length + 1) }),
    });
    if (response.status === 201) published.push(((await response.json()) as ChatMessage).id);
    else failedPublishes.push(`${response.status} ${await response.text()}`);
    if (++tick % 10 === 0) {
      // Every 2 s: the server drops 1% of held connections; note the peak resources.
      const drop = await fetch(`${url}/api/admin/drop?fraction=0.01`, { method: "POST" });
      serverDrops += ((await drop.json()) as { dropped: number }).dropped;
      const now = await health();
      if (now.rssBytes > peak.rssBytes) peak = now;
    }
    await sleep(PUBLISH_EVERY_MS);
  }
  const last = published.at(-1);
  let caughtUp = true;
  await waitFor(() => subscribers.every((s) => s.last === last), "every subscriber to catch up", 60_000).catch(() => (caughtUp = false));
  const behind = subscribers.filter((s) => s.last !== last).map((s) => `${s.transport} at ${s.last ?? "nothing"}`);
  const during = await health();
  await Promise.all(subscribers.map((s) => s.stop()));
  agent.destroy();

  let losses = 0;
  let duplicates = 0;
  let misordered = 0;
  for (const subscriber of subscribers) {
    const got = new Set(subscriber.delivered);
    losses += published.filter((id) => !got.has(id)).length;
    duplicates += subscriber.cursor.duplicates + (subscriber.delivered.length - got.size);
    if (subscriber.delivered.some((id, i) => i > 0 && id <= (subscriber.delivered[i - 1] ?? 0))) misordered += 1;
  }
  const exact = subscribers.filter((s) => s.delivered.length === published.length && s.delivered.every((id, i) => id === published[i])).length;

  let after = await health();
  for (let i = 0; i < 100 && (after.heldConnections > 0 || after.subscribers > 0); i++) {
    await sleep(100);
    after = await health();
  }
  await sleep(5_000); // give the allocator a moment to hand back what the clients' buffers used
  after = await health("?gc=1");
  // The meter's gauges, too, must be back at 0 once every socket has closed, cuts included.
  const { transports } = (await (await fetch(`${url}/api/stats`)).json()) as StatsResponse;
  const openAfter = METERED.filter((t) => transports[t].open !== 0).map((t) => `${t} ${transports[t].open}`);

  const clientKills = subscribers.reduce((n, s) => n + s.clientKills, 0);
  const connections = subscribers.reduce((n, s) => n + s.connections, 0);
  const refusals = subscribers.reduce((n, s) => n + s.refusals, 0);
  const report = [
    `soak: ${SUBSCRIBERS} subscribers (${SUBSCRIBERS / 5} per transport), ${published.length} messages over ${Math.round(PUBLISH_MS / 1000)} s`,
    `requests and connections opened: ${connections}; connections killed: ${clientKills} by clients mid-chunk + ${serverDrops} by the server; refused: ${refusals}`,
    `messages checked: ${published.length * SUBSCRIBERS}; losses: ${losses}; duplicates: ${duplicates}; subscribers out of order: ${misordered}; subscribers with exactly the published list: ${exact}/${SUBSCRIBERS}`,
    `failed publishes: ${failedPublishes.length}${failedPublishes.length > 0 ? ` (first: ${failedPublishes[0]})` : ""}; every subscriber caught up: ${caughtUp}${behind.length > 0 ? ` (behind: ${behind.slice(0, 10).join(", ")}${behind.length > 10 ? ", ..." : ""})` : ""}`,
    `server RSS: baseline ${Math.round(baseline.rssBytes / MiB)} MiB, peak ${Math.round(peak.rssBytes / MiB)} MiB, after clients left ${Math.round(after.rssBytes / MiB)} MiB (heap used ${Math.round(baseline.heapUsedBytes / MiB)} → ${Math.round(after.heapUsedBytes / MiB)} MiB, heap reserved ${Math.round(baseline.heapTotalBytes / MiB)} → ${Math.round(peak.heapTotalBytes / MiB)} → ${Math.round(after.heapTotalBytes / MiB)} MiB, external ${Math.round(baseline.externalBytes / MiB)} → ${Math.round(after.externalBytes / MiB)} MiB)`,
    `held connections during ${during.heldConnections}, after ${after.heldConnections}; feed subscribers after ${after.subscribers}; open gauges after: ${openAfter.length === 0 ? "all 0" : openAfter.join(", ")}; active resources ${baseline.activeResources} → ${after.activeResources}`,
    `event-loop delay over the run: p50 ${after.eventLoopDelayMs.p50} ms, p99 ${after.eventLoopDelayMs.p99} ms, max ${after.eventLoopDelayMs.max} ms`,
  ].join("\n");
  console.log(report);

  expect(failedPublishes).toEqual([]);
  expect(caughtUp).toBe(true);
  expect(losses).toBe(0);
  expect(duplicates).toBe(0);
  expect(misordered).toBe(0);
  expect(exact).toBe(SUBSCRIBERS);
  expect(refusals).toBe(0);
  expect(after.heldConnections).toBe(0);
  expect(after.subscribers).toBe(0);
  expect(openAfter).toEqual([]);
  expect(after.activeResources).toBeLessThanOrEqual(baseline.activeResources + 5);
  // Bounds generous enough for a shared 2-core CI machine; what they catch is a leak or a stall.
  expect(after.rssBytes).toBeLessThan(baseline.rssBytes + 96 * MiB);
  expect(after.heapUsedBytes).toBeLessThan(baseline.heapUsedBytes + 32 * MiB);
  expect(after.eventLoopDelayMs.p99).toBeLessThan(250);
  expect(after.eventLoopDelayMs.max).toBeLessThan(2_000);
});
