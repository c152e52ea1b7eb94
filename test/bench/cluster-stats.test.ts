import { describe, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { sumStats } from "../../scripts/bench/cluster/stats-front.js";

const stats = (lastId: number, open: number, bytesOut: number): StatsResponse =>
  ({
    uptimeMs: 1_000,
    feed: { lastId, oldestId: 1, retained: lastId, subscribers: open },
    transports: { ws: { open, bytesOut, requests: 1 } },
    connections: { open },
  }) as unknown as StatsResponse;

describe("a cluster's stats as one server's", () => {
  it("sums every counter over the instances and keeps the shared log's ids as the largest", () => {
    const total = sumStats([stats(10, 2, 100), stats(12, 3, 50), stats(11, 0, 1)]);
    expect(total.transports.ws).toMatchObject({ open: 5, bytesOut: 151, requests: 3 });
    expect(total.feed).toMatchObject({ lastId: 12, oldestId: 1, retained: 12, subscribers: 5 });
  });
});
