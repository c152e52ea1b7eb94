import { describe, expect, it } from "vitest";
import {
  addressesPerTransport,
  addressOf,
  fdNeeded,
  idleWindowMs,
  parseSteps,
  planAddresses,
  planSteps,
  shareAdded,
  sourceAddress,
  stopReason,
  workerCountFor,
} from "../../../scripts/bench/scale/plan.js";

describe("scale plan: steps", () => {
  it("ramps 1,000, 2,500, 5,000, 10,000 to 10,000 clients", () => {
    expect(planSteps(10_000)).toEqual([1_000, 2_500, 5_000, 10_000]);
  });

  it("starts at a tenth of the top and always ends on it", () => {
    expect(planSteps(15_000)).toEqual([2_500, 5_000, 10_000, 15_000]);
    expect(planSteps(40)).toEqual([5, 10, 25, 40]);
    expect(planSteps(1)).toEqual([1]);
  });

  it("reads --steps as ascending positive whole numbers, and says what is wrong otherwise", () => {
    expect(parseSteps("20, 40")).toEqual([20, 40]);
    expect(parseSteps("40,20")).toBe("steps must ascend");
    expect(parseSteps("20,20")).toBe("steps must ascend");
    expect(parseSteps("1e3")).toBe('"1e3" is not a positive whole number');
    expect(parseSteps("0")).toBe('"0" is not a positive whole number');
    expect(parseSteps(" , ")).toBe("name at least one step");
  });
});

describe("scale plan: generator threads and source addresses", () => {
  it("takes one thread per 2,500 clients, at most 8, or what --workers asks (never more than clients)", () => {
    expect(workerCountFor(10_000, 0)).toBe(4);
    expect(workerCountFor(40, 0)).toBe(1);
    expect(workerCountFor(100_000, 0)).toBe(8);
    expect(workerCountFor(40, 3)).toBe(3);
    expect(workerCountFor(2, 3)).toBe(2);
  });

  it("spreads each step's new clients so threads stay within one client of each other", () => {
    expect(shareAdded([0, 0, 0, 0], 1_000)).toEqual([250, 250, 250, 250]);
    expect(shareAdded([250, 250, 250, 250], 2_502)).toEqual([376, 376, 375, 375]);
    expect(shareAdded([1, 0], 1)).toEqual([0, 0]);
  });

  it("gives each thread its own addresses, 2,000 clients each, and each transport a fresh block", () => {
    const first = planAddresses(10_000, 4, 0);
    expect(first).toEqual([
      ["127.0.0.2", "127.0.0.3"],
      ["127.0.0.4", "127.0.0.5"],
      ["127.0.0.6", "127.0.0.7"],
      ["127.0.0.8", "127.0.0.9"],
    ]);
    expect(addressesPerTransport(10_000, 4)).toBe(8);
    const second = planAddresses(10_000, 4, 1).flat();
    expect(second[0]).toBe("127.0.0.10");
    expect(new Set([...first.flat(), ...second]).size).toBe(16);
  });

  it("fills a thread's addresses in order and never names the server's 127.0.0.1", () => {
    const mine = ["127.0.0.2", "127.0.0.3"];
    expect(addressOf(mine, 0)).toBe("127.0.0.2");
    expect(addressOf(mine, 1_999)).toBe("127.0.0.2");
    expect(addressOf(mine, 2_000)).toBe("127.0.0.3");
    expect(addressOf(mine, 9_999)).toBe("127.0.0.3");
    for (let n = 0; n < 600; n++) expect(sourceAddress(n)).not.toBe("127.0.0.1");
    expect(sourceAddress(252)).toBe("127.0.0.254");
    expect(sourceAddress(253)).toBe("127.0.0.2");
  });
});

describe("scale plan: windows, descriptors and when to stop", () => {
  const cost = (periodMs: number, transports: ("poll" | "ws" | "sse")[]) => ({ what: "x", transports, periodMs, source: "y" });

  it("makes the idle window twice the longest periodic cost of the transports run", () => {
    expect(idleWindowMs([cost(1_000, ["poll"]), cost(5_000, ["ws"])], ["poll", "ws"])).toBe(10_000);
    expect(idleWindowMs([cost(1_000, ["poll"]), cost(30_000, ["ws"])], ["poll"])).toBe(2_000);
    expect(idleWindowMs([cost(500, ["sse"])], ["sse"])).toBe(2_000);
  });

  it("asks for a descriptor per connection and some room", () => {
    expect(fdNeeded(10_000)).toBe(10_256);
  });

  it("stops a ramp when over a tenth of the clients did not connect or of the deliveries were lost", () => {
    const step = (connected: number, lost: number) => ({ clients: 1_000, connect: { connected }, latency: { expected: 10_000, lost } });
    expect(stopReason(step(1_000, 0))).toBeNull();
    expect(stopReason(step(900, 1_000))).toBeNull();
    expect(stopReason(step(899, 0))).toBe("101 of 1,000 subscribers did not connect");
    expect(stopReason(step(1_000, 1_001))).toBe("1,001 of 10,000 deliveries lost");
  });
});
