import { describe, expect, it } from "vitest";
import type { BaselineSample, BaselineTransport, FixedRateSample, MaxRateSample, RequestRateSample } from "../../scripts/bench/baselines/types.js";
import { BASELINE_TARGETS } from "../../scripts/bench/baselines/types.js";
import { baselineProblems, judge, maxRateBound, pairedRatios, ratioRows, sampleValue } from "../../scripts/report/baseline.js";
import { spreadOf } from "../../scripts/report/spread.js";

const idle = { saturated: false, reasons: [] };

function maxRate(deliveriesPerSecond: number, serverCpuMs: number, delivered = 100_000, extra: Partial<MaxRateSample> = {}): MaxRateSample {
  return {
    inFlight: 64,
    published: delivered / 1000,
    expected: delivered,
    delivered,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    windowMs: 5_000,
    deliveriesPerSecond,
    serverCpuMs,
    serverCores: serverCpuMs / 5_000,
    generatorCpuMs: 6_000,
    threads: [{ name: "subscribers-1", elu: 0.5, delayP99Ms: 3, delayMaxMs: 9 }],
    p99Ms: 40,
    generator: idle,
    ...extra,
  };
}

const sample = (side: "project" | "bare", round: number, m: MaxRateSample): BaselineSample => ({ side, round, kind: "max-rate", maxRate: m });

function cannon(requestsPerSecond: number, saturated = false): RequestRateSample {
  return {
    path: "/api/poll?after=1",
    connections: 100,
    durationMs: 5_000,
    requests: requestsPerSecond * 5,
    requestsPerSecond,
    errors: 0,
    non2xx: 0,
    p99Ms: 20,
    serverCpuMs: 4_000,
    generatorCores: saturated ? 0.97 : 0.6,
    generator: saturated ? { saturated: true, reasons: ["autocannon's thread used 0.97 of a core"] } : idle,
  };
}

describe("baseline ratios", () => {
  it("pairs each round's lab sample with that round's bare sample", () => {
    const samples = [
      sample("project", 1, maxRate(80_000, 4_000)),
      sample("bare", 1, maxRate(100_000, 3_000)),
      sample("project", 2, maxRate(90_000, 4_400)),
      sample("bare", 2, maxRate(90_000, 4_000)),
    ];
    expect(pairedRatios(samples, "max-rate")).toEqual([0.8, 1]);
    expect(pairedRatios(samples, "cpu-max-rate").map((r) => r.toFixed(3))).toEqual(["1.333", "1.100"]);
  });

  it("leaves out a round that one side did not measure, and never divides by zero", () => {
    const samples = [sample("project", 1, maxRate(80_000, 4_000)), sample("bare", 1, maxRate(0, 3_000)), sample("project", 2, maxRate(90_000, 4_400))];
    expect(pairedRatios(samples, "max-rate")).toEqual([]);
  });

  it("computes CPU per 1,000 deliveries and per 1,000 requests from the raw counts", () => {
    expect(sampleValue(sample("bare", 1, maxRate(1, 3_000, 200_000)), "cpu-max-rate")).toBe(15);
    expect(sampleValue({ side: "bare", round: 1, kind: "request-rate", requestRate: cannon(10_000) }, "cpu-request")).toBe(80);
    expect(sampleValue({ side: "bare", round: 1, kind: "request-rate", requestRate: cannon(10_000) }, "max-rate")).toBeNull();
  });
});

describe("target verdicts", () => {
  const atMost = { kind: "max", value: 1.1 } as const;
  const atLeast = { kind: "min", value: 0.9 } as const;

  it("is met only when every round meets it, missed only when none does", () => {
    expect(judge(spreadOf([1.02, 1.05, 1.08]), atMost)).toBe("met");
    expect(judge(spreadOf([1.12, 1.2]), atMost)).toBe("missed");
    expect(judge(spreadOf([0.95, 0.92, 0.97]), atLeast)).toBe("met");
    expect(judge(spreadOf([0.8, 0.85]), atLeast)).toBe("missed");
  });

  it("says so when only the median meets or misses", () => {
    expect(judge(spreadOf([1.05, 1.08, 1.15]), atMost)).toBe("met at the median");
    expect(judge(spreadOf([0.85, 0.88, 0.95]), atLeast)).toBe("missed at the median");
  });

  it("counts a ratio exactly on the target as meeting it", () => {
    expect(judge(spreadOf([1.1, 1.1]), atMost)).toBe("met");
    expect(judge(spreadOf([0.9]), atLeast)).toBe("met");
  });
});

describe("ratio rows", () => {
  it("gives each measure both sides' spread, the rounds' ratio, its target and verdict", () => {
    const ws: BaselineTransport = {
      transport: "ws",
      samples: [
        sample("project", 1, maxRate(95_000, 3_150)),
        sample("bare", 1, maxRate(100_000, 3_000)),
        sample("project", 2, maxRate(92_000, 3_300)),
        sample("bare", 2, maxRate(100_000, 3_000)),
      ],
    };
    const rows = ratioRows(ws, BASELINE_TARGETS);
    expect(rows.map((r) => r.measure)).toEqual(["max-rate", "cpu-max-rate"]);
    const [rate, cpu] = rows;
    expect(rate?.ratio).toEqual({ median: 0.935, min: 0.92, max: 0.95, n: 2 });
    expect(rate?.verdict).toBe("met");
    expect(rate?.project).toEqual({ median: 93_500, min: 92_000, max: 95_000, n: 2 });
    // Taken at the rate each side reached: shown, not judged.
    expect(cpu?.target).toBeNull();
    expect(cpu?.ratio.median).toBeCloseTo(1.075);
    expect(cpu?.verdict).toBeNull();
    expect(rate?.saturated).toEqual([]);
  });

  it("judges server CPU per delivery at the fixed rate, which both sides ran at", () => {
    const fixed = (serverCpuMs: number): FixedRateSample => ({
      p50Ms: 5,
      p99Ms: 20,
      expected: 40_000,
      delivered: 40_000,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      windowMs: 8_000,
      serverCpuMs,
      generator: idle,
    });
    const sse: BaselineTransport = {
      transport: "sse",
      samples: [
        { side: "project", round: 1, kind: "fixed-rate", fixedRate: fixed(420) },
        { side: "bare", round: 1, kind: "fixed-rate", fixedRate: fixed(400) },
        { side: "project", round: 2, kind: "fixed-rate", fixedRate: fixed(480) },
        { side: "bare", round: 2, kind: "fixed-rate", fixedRate: fixed(400) },
        { side: "project", round: 3, kind: "fixed-rate", fixedRate: fixed(428) },
        { side: "bare", round: 3, kind: "fixed-rate", fixedRate: fixed(400) },
      ],
    };
    const cpu = ratioRows(sse, BASELINE_TARGETS).find((r) => r.measure === "cpu-fixed-rate");
    expect(cpu?.target).toEqual({ kind: "max", value: 1.1 });
    expect(cpu?.project).toEqual({ median: 10.7, min: 10.5, max: 12, n: 3 });
    expect(cpu?.ratio.median).toBeCloseTo(1.07);
    expect(cpu?.ratio.min).toBeCloseTo(1.05);
    expect(cpu?.ratio.max).toBeCloseTo(1.2);
    expect(cpu?.verdict).toBe("met at the median");
  });

  it("flags the samples whose generator was saturated", () => {
    const poll: BaselineTransport = {
      transport: "poll",
      samples: [
        { side: "project", round: 1, kind: "request-rate", requestRate: cannon(9_000) },
        { side: "bare", round: 1, kind: "request-rate", requestRate: cannon(12_000, true) },
      ],
    };
    const [rate] = ratioRows(poll, BASELINE_TARGETS);
    expect(rate?.measure).toBe("request-rate");
    expect(rate?.ratio.median).toBe(0.75);
    expect(rate?.verdict).toBe("missed");
    expect(rate?.saturated).toEqual(["bare round 1: autocannon's thread used 0.97 of a core"]);
  });

  it("reports loss, duplicates and disorder on either side as problems", () => {
    const problems = baselineProblems({
      targets: BASELINE_TARGETS,
      bareServer: "bare",
      transports: [{ transport: "sse", samples: [sample("bare", 2, maxRate(1, 1, 1_000, { lost: 3, expected: 1_003 }))] }],
    });
    expect(problems).toEqual(["SSE max-rate, bare server, round 2: 3 of 1003 deliveries lost"]);
  });
});

describe("what set a maximum-rate sample's pace", () => {
  it("is the server when its thread was full, else the generator, the shared machine, or the loop's window", () => {
    expect(maxRateBound(maxRate(1, 4_800), 2)).toBe("server");
    expect(maxRateBound(maxRate(1, 3_000, 1, { generator: { saturated: true, reasons: ["x"] } }), 2)).toBe("generator");
    expect(maxRateBound(maxRate(1, 3_000, 1, { generatorCpuMs: 6_000 }), 2)).toBe("machine");
    expect(maxRateBound(maxRate(1, 1_000, 1, { generatorCpuMs: 2_000 }), 2)).toBe("window");
  });
});
