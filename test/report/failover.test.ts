import { describe, expect, it } from "vitest";
import { summarize } from "../../scripts/bench/cluster/run-failover.js";
import type { FailoverPhase } from "../../scripts/bench/cluster/failover-results.js";
import { defaultConfig } from "../../scripts/bench/scenarios.js";
import { failoverProblems, failoverTable } from "../../scripts/report/failover.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { verdict } from "../../scripts/report/summary.js";
import { fixture } from "./fixture.js";

const config = { ...defaultConfig("failover"), durationMs: 1_000 };

/** Two subscribers after id 100; the publisher had 101..104 acknowledged; the fault at t=500, over at t=600. */
function phase(received: number[][]): FailoverPhase {
  return summarize({
    transport: "sse",
    fault: "instance",
    config,
    receipts: received.map((ids) => ({ ids, at: ids.map((id) => (id - 100) * 200), resets: 0, reconnects: 1, errors: 0 })),
    acked: [101, 102, 103, 104].map((id) => ({ id, at: (id - 100) * 200 - 10 })),
    refused: 1,
    faultTime: 500,
    faultEnd: 600,
    start: 0,
    downMs: 300,
    openBefore: { "lab-1": 1, "lab-2": 1 },
    victim: "lab-2",
    after: 100,
  });
}

describe("a failover phase's figures", () => {
  it("counts nothing wrong when every subscriber has every acknowledged message once, in order, and says when they had the first one after the outage", () => {
    const p = phase([
      [101, 102, 103, 104],
      [101, 102, 103, 104, 105],
    ]);
    expect(p.delivery).toEqual({ expected: 8, lost: 0, duplicated: 0, outOfOrder: 0, resets: 0, reconnects: 2 });
    expect(p.published).toEqual({ acked: 4, refused: 1, unackedDelivered: 1 });
    // 104 was acknowledged at 790, after the outage ended at 600; received at 800.
    expect(p.recoveryMs).toEqual({ p50: 200, max: 200 });
    expect(p.deliveryGapMs).toEqual({ p50: 200, max: 200 });
    expect(failoverProblems({ instances: ["lab-1", "lab-2"], redisPersistence: "aof", phases: [p] })).toEqual([]);
  });

  it("counts a lost acknowledged message, a repeat and a reordering, and fails the run for them", () => {
    const p = phase([
      [101, 103, 104],
      [101, 102, 102, 104, 103],
    ]);
    expect(p.delivery).toMatchObject({ lost: 1, duplicated: 1, outOfOrder: 1 });
    const results = { ...fixture(), transports: [], autocannon: [], config, failover: { instances: ["lab-1", "lab-2"], redisPersistence: "aof", phases: [p] } };
    expect(verdict(results)).toEqual([
      "sse, instance killed: 1 acknowledged deliveries lost",
      "sse, instance killed: 1 deliveries out of order",
      "sse, instance killed: 1 deliveries duplicated",
    ]);
    expect(failoverTable(results).rows[0]?.slice(0, 8)).toEqual(["sse", "instance killed", "lab-2 down 300 ms", "4", "1", "1", "1", "1"]);
    expect(renderMarkdown(results)).toContain("## Deliveries through a fault");
  });
});
