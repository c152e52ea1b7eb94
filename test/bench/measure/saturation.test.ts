import { describe, expect, it } from "vitest";
import { saturationReasons } from "../../../scripts/bench/measure/saturation.js";

const calm = { name: "subscribers-1", elu: 0.2, delayP99Ms: 1, delayMaxMs: 3 };

describe("generator saturation", () => {
  it("is quiet when the generator had room", () => {
    expect(saturationReasons({ threads: [calm], publishLagP99Ms: 1, cpuMs: 2_000, wallMs: 10_000, cores: 2 })).toEqual([]);
  });

  it("names each reason: a busy loop, a delayed loop, a late publisher, no CPU left", () => {
    const reasons = saturationReasons({
      threads: [{ ...calm, elu: 0.97, delayP99Ms: 80 }],
      publishLagP99Ms: 35,
      cpuMs: 19_000,
      wallMs: 10_000,
      cores: 2,
    });
    expect(reasons).toEqual([
      "subscribers-1 event loop busy 97% of the window",
      "subscribers-1 event-loop delay p99 80.0 ms",
      "publisher sent 35.0 ms behind schedule at p99",
      "generator used 1.90 of 2 cores",
    ]);
  });
});
