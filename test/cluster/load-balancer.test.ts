import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingBinaryError, findBinary } from "../../scripts/cluster/binaries.js";
import { type Cluster, startCluster } from "../../scripts/cluster/cluster.js";
import { LB_TRANSPORTS, lastId, LbPublisher, LbSubscriber } from "./lb-clients.js";

/**
 * The lab as several processes through the real HAProxy (round-robin per request, no stickiness)
 * and the real redis-server, as `npm run cluster` starts them: every client talks to the load
 * balancer only, and X-Lab-Instance says which instance served it.
 */

const installed = (() => {
  try {
    findBinary("redis-server");
    findBinary("haproxy");
    return true;
  } catch (error) {
    if (!(error instanceof MissingBinaryError)) throw error;
    console.warn(`test/cluster/load-balancer: skipped: ${error.message}`);
    return false;
  }
})();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Subscribers of every transport, `perTransport` each, all through the balancer, connected. */
async function subscribeAll(url: string, after: number, perTransport: number): Promise<LbSubscriber[]> {
  const subscribers = LB_TRANSPORTS.flatMap((transport) => Array.from({ length: perTransport }, () => new LbSubscriber(transport, url, after)));
  await Promise.all(subscribers.map((s) => s.ready));
  return subscribers;
}

/**
 * What every subscriber must have seen: the feed's ids after `after`, contiguous, in order, each
 * once, up to the last acknowledged one, every acknowledged id among them. (A publish whose answer
 * was lost, say to a killed instance, may be stored without an ack: it is in the feed, so it is
 * delivered too; nothing acknowledged may be missing.)
 */
function expectEverything(subscribers: LbSubscriber[], after: number, acked: number[]): void {
  const last = Math.max(...acked);
  const feed = Array.from({ length: last - after }, (_, i) => after + 1 + i);
  for (const s of subscribers) {
    const ids = s.ids.filter((id) => id <= last);
    expect(ids, `${s.transport} (instances ${[...new Set(s.instances)].join(",")}; errors ${s.errors.slice(0, 3).join("; ")})`).toEqual(feed);
    expect(s.resets, `${s.transport} resets`).toEqual([]);
  }
  expect(acked.every((id) => feed.includes(id))).toBe(true);
}

const received = (subscribers: LbSubscriber[], id: number): boolean => subscribers.every((s) => s.ids.includes(id));

describe.skipIf(!installed)("three instances behind HAProxy, one feed in Redis", () => {
  let cluster: Cluster;
  const subscribers: LbSubscriber[] = [];
  const publishers: LbPublisher[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      instances: 3,
      // A restarted Redis must keep what it acknowledged: an append-only file, fsynced per write.
      persistentRedis: true,
      env: {
        // Every client comes through the balancer, from one address: per-address limits would count them all together.
        LAB_MAX_HELD_PER_IP: "100000",
        LAB_PUBLISH_RATE_MAX: "1000000",
        LAB_HEARTBEAT_MS: "1000",
        LAB_RETRY_AFTER_SECONDS: "1",
        LOG_LEVEL: "error",
      },
    });
  }, 60_000);

  afterAll(async () => {
    for (const p of publishers) {
      p.stop();
      await p.close();
    }
    await Promise.all(subscribers.splice(0).map((s) => s.stop()));
    await cluster?.stop();
  }, 30_000);

  async function connect(perTransport: number): Promise<{ after: number; group: LbSubscriber[] }> {
    const after = await lastId(cluster.url);
    const group = await subscribeAll(cluster.url, after, perTransport);
    subscribers.push(...group);
    return { after, group };
  }

  async function finish(group: LbSubscriber[]): Promise<void> {
    await Promise.all(group.map((s) => s.stop()));
    for (const s of group) subscribers.splice(subscribers.indexOf(s), 1);
  }

  it("spreads subscribers of every transport over the three instances, and each gets every message published through the balancer, once, in order", async () => {
    const { after, group } = await connect(3);
    const held = group.filter((s) => s.transport !== "poll" && s.transport !== "long-poll" && s.transport !== "stomp-sockjs");
    expect(new Set(held.flatMap((s) => s.instances))).toEqual(new Set(["lab-1", "lab-2", "lab-3"]));

    const publisher = new LbPublisher(cluster.url, 5);
    publishers.push(publisher);
    await publisher.run(() => publisher.acked.length >= 60);
    expect(publisher.refused).toEqual([]);
    const last = Math.max(...publisher.acked);
    await until(() => received(group, last), "every subscriber to receive the last message");
    expectEverything(group, after, publisher.acked);
    await finish(group);
  });

  it("a poll or long poll whose consecutive requests land on different instances misses nothing", async () => {
    const { after, group } = await connect(2);
    const pollers = group.filter((s) => s.transport === "poll" || s.transport === "long-poll");
    const publisher = new LbPublisher(cluster.url, 10);
    publishers.push(publisher);
    await publisher.run(() => publisher.acked.length >= 40);
    const last = Math.max(...publisher.acked);
    await until(() => received(group, last), "every subscriber to receive the last message");
    for (const poller of pollers) {
      const switches = poller.instances.filter((name, i) => i > 0 && name !== poller.instances[i - 1]).length;
      expect(new Set(poller.instances).size, `${poller.transport} instances`).toBe(3);
      expect(switches, `${poller.transport}: requests that went to another instance than the one before`).toBeGreaterThan(5);
    }
    expectEverything(group, after, publisher.acked);
    await finish(group);
  });

  it("an instance killed under load: its clients reconnect through the balancer and miss nothing acknowledged", async () => {
    const { after, group } = await connect(2);
    const publisher = new LbPublisher(cluster.url, 10);
    publishers.push(publisher);
    const publishing = publisher.run(() => false);
    await until(() => publisher.acked.length >= 20, "20 acknowledged messages before the kill");
    const victim = cluster.instances[1];
    if (victim === undefined) throw new Error("no second instance");
    await victim.stop("SIGKILL");
    await until(() => publisher.acked.length >= 60, "40 more acknowledged messages after the kill", 30_000);
    publisher.stop();
    await publishing;
    const last = Math.max(...publisher.acked);
    await until(() => received(group, last), "every subscriber to receive the last acknowledged message", 30_000);
    const cut = group.filter((s) => s.instances.includes(victim.name) && s.transport !== "poll" && s.transport !== "long-poll");
    expect(cut.length, "held connections the kill cut").toBeGreaterThan(0);
    for (const s of cut) expect(s.reconnects, `${s.transport} reconnected`).toBeGreaterThan(0);
    expectEverything(group, after, publisher.acked);
    await finish(group);
    await victim.start();
  });

  it("Redis restarted under load: publishing is refused while it is away, nothing acknowledged is lost", async () => {
    const { after, group } = await connect(2);
    const publisher = new LbPublisher(cluster.url, 10);
    publishers.push(publisher);
    const publishing = publisher.run(() => false);
    await until(() => publisher.acked.length >= 20, "20 acknowledged messages before the restart");
    await cluster.redis.stop();
    const refusedBefore = publisher.refused.length;
    await until(() => publisher.refused.length > refusedBefore, "a publish refused while Redis is away");
    await cluster.redis.start();
    const ackedAtRestart = publisher.acked.length;
    await until(() => publisher.acked.length >= ackedAtRestart + 30, "30 more acknowledged messages after the restart", 30_000);
    publisher.stop();
    await publishing;
    const last = Math.max(...publisher.acked);
    await until(() => received(group, last), "every subscriber to receive the last acknowledged message", 30_000);
    expectEverything(group, after, publisher.acked);
    await finish(group);
  });
});
