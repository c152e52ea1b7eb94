import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../../server/config.js";
import { MemoryFeed } from "../../server/feed.js";
import { Stats } from "../../server/metering/stats.js";
import { Delivery, type Sink } from "../../server/transports/delivery.js";

/** A sink that records what it is handed, as a socket that always takes everything would. */
class RecordingSink implements Sink {
  readonly writes: string[] = [];
  readonly highWaterMark = 16_384;
  write(bytes: Buffer): boolean {
    this.writes.push(bytes.toString());
    return true;
  }
  readonly buffered = 0;
  readonly writable = true;
  onDrain(): void {}
  ready(): void {}
  cut(): void {}
  end(): void {}
}

const HEARTBEAT_MS = 1_000;

describe("delivery core: heartbeats", () => {
  let delivery: Delivery;
  let feed: MemoryFeed;

  beforeEach(() => {
    vi.useFakeTimers();
    const config = resolveConfig({ heartbeatMs: HEARTBEAT_MS }, {});
    feed = new MemoryFeed(config.historySize, config.recentLimit);
    delivery = new Delivery(
      { feed, stats: new Stats(), config },
      {
        transport: "sse",
        message: (entry) => Buffer.from(`data: ${entry.json}\n\n`),
        reset: () => Buffer.from("reset\n"),
        heartbeat: () => Buffer.from(": heartbeat\n\n"),
        preamble: null,
      },
    );
  });

  afterEach(() => {
    delivery.endAll();
    vi.useRealTimers();
  });

  const heartbeats = (sink: RecordingSink): number => sink.writes.filter((w) => w === ": heartbeat\n\n").length;

  it("an idle connection gets one heartbeat per period, not one per sweep", () => {
    const sink = new RecordingSink();
    delivery.subscribe(sink, undefined, undefined);
    vi.advanceTimersByTime(HEARTBEAT_MS * 10);
    // Sweeps run every half period; the first may find the connection idle at once, so 10 or 11.
    expect(heartbeats(sink)).toBeGreaterThanOrEqual(10);
    expect(heartbeats(sink)).toBeLessThanOrEqual(11);
  });

  it("a connection that gets a message at least every half period gets no heartbeat", () => {
    const sink = new RecordingSink();
    delivery.subscribe(sink, undefined, undefined);
    for (let i = 0; i < 20; i++) {
      feed.publish({ from: "a", text: `m${i}` });
      vi.advanceTimersByTime(HEARTBEAT_MS / 2);
    }
    expect(heartbeats(sink)).toBe(0);
    expect(sink.writes.filter((w) => w.startsWith("data: "))).toHaveLength(20);
  });

  it("no connection stays silent longer than a period", () => {
    const sink = new RecordingSink();
    delivery.subscribe(sink, undefined, undefined);
    const writeTimes: number[] = [];
    const write = sink.write.bind(sink);
    sink.write = (bytes) => {
      writeTimes.push(Date.now());
      return write(bytes);
    };
    const start = Date.now();
    feed.publish({ from: "a", text: "one" });
    vi.advanceTimersByTime(HEARTBEAT_MS * 6);
    const gaps = [start, ...writeTimes].slice(1).map((t, i, all) => t - (i === 0 ? start : (all[i - 1] as number)));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HEARTBEAT_MS);
  });
});
