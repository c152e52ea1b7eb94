import { describe, expect, it } from "vitest";
import { breaks, kneeOf, latencyBudgetMs, limitOf, scaleFigures, stepFigures, type StepFigures } from "../../scripts/report/scale-figures.js";
import { scaleFixture } from "./scale-fixture.js";

const r = scaleFixture();
const byTransport = (t: string) => {
  const found = scaleFigures(r.scale, r.config, 2).find((f) => f.transport === t);
  if (found === undefined) throw new Error(`no ${t} in the fixture`);
  return found;
};

describe("scale figures per connection", () => {
  it("subtract the empty server's memory and idle CPU, then divide by the connections", () => {
    for (const f of byTransport("ws").steps) {
      expect(f.rssPerConnection, String(f.clients)).toBeCloseTo(10_240, 6);
      expect(f.heapPerConnection, String(f.clients)).toBeCloseTo(4_096, 6);
      expect(f.idleCpuUsPerConnectionSecond, String(f.clients)).toBeCloseTo(5, 6);
    }
  });

  it("give CPU per 1,000 deliveries, requests per second and the cores each side used", () => {
    const f = byTransport("ws").steps[2] as StepFigures;
    expect(f.cpuMsPer1000).toBeCloseTo((100 / f.delivered) * 1000, 6);
    expect(f.latencyServerCores).toBeCloseTo(0.05, 6);
    expect(f.generatorCores).toBeCloseTo(0.1, 6);
    expect(f.machineCores).toBeCloseTo(0.5, 6);
    expect(f.askedRequestsPerSecond).toBeNull();
  });

  it("say what short polling's clients ask for: clients / interval", () => {
    const run = r.scale.transports[0];
    const step = run?.steps[2];
    if (run === undefined || step === undefined) throw new Error("empty fixture");
    const f = stepFigures(step, run.baseline, "poll", { pollIntervalMs: 500 }, 2);
    expect(f.askedRequestsPerSecond).toBe(80);
  });
});

describe("the knee", () => {
  it("allows one message period, plus one poll interval for short polling", () => {
    expect(latencyBudgetMs("ws", 1, 1_000)).toBe(1_000);
    expect(latencyBudgetMs("poll", 1, 1_000)).toBe(2_000);
    expect(latencyBudgetMs("sse", 4, 1_000)).toBe(250);
  });

  it("is absent when every step holds, and the largest step is the last good one", () => {
    expect(byTransport("ws").knee).toEqual({ at: null, lastGood: 40, reasons: [], limit: null });
  });

  it("is the first step over the latency budget, and names the machine when other processes held the cores", () => {
    const k = byTransport("long-poll").knee;
    expect(k.at).toBe(20);
    expect(k.lastGood).toBe(10);
    expect(k.reasons[0]).toBe("p99 1,500 ms over the 1,000 ms a message may take at this rate");
    expect(k.limit?.kind).toBe("machine");
    expect(k.limit?.text).toContain("other processes kept them busy");
  });

  it("is the first step with a loss, and names the generator when it was saturated", () => {
    const k = byTransport("sse").knee;
    expect(k.at).toBe(40);
    expect(k.lastGood).toBe(20);
    expect(k.reasons).toEqual(["8 of 80 deliveries lost"]);
    expect(k.limit?.kind).toBe("generator");
    expect(k.limit?.text).toContain("subscribers-1 event loop busy 95%");
  });

  const base = byTransport("ws").steps[0] as StepFigures;
  const at = (over: Partial<StepFigures>): StepFigures => ({ ...base, ...over });

  it("counts unconnected clients, failed connects over 1% of those added, superlinear p99 growth and unserved polls", () => {
    expect(breaks(at({ clients: 100, connected: 99 }), null, 1_000)).toEqual(["1 of 100 subscribers not connected"]);
    expect(breaks(at({ clients: 200, connected: 200, connectErrors: 1, connectErrorCodes: { ECONNRESET: 1 } }), at({ clients: 100 }), 1_000)).toEqual([]);
    expect(breaks(at({ clients: 200, connected: 200, connectErrors: 2, connectErrorCodes: { ECONNRESET: 2 } }), at({ clients: 100 }), 1_000)).toEqual([
      "2 failed connect attempts (ECONNRESET 2)",
    ]);
    expect(breaks(at({ clients: 200, connected: 200, p99: 90 }), at({ clients: 100, p99: 20 }), 1_000)).toEqual(["p99 grew 4.5× for 2.0× the clients"]);
    // Below the floor, growth is noise.
    expect(breaks(at({ clients: 200, connected: 200, p99: 45 }), at({ clients: 100, p99: 5 }), 1_000)).toEqual([]);
    expect(breaks(at({ askedRequestsPerSecond: 1_000, idleRequestsPerSecond: 899 }), null, 2_000)).toEqual([
      "served 899 polls/s of the 1,000 its clients asked for",
    ]);
    expect(breaks(at({ publishErrors: 1 }), null, 1_000)).toEqual(["1 publishes failed"]);
  });

  it("is found at the first broken step even when a later one looks fine", () => {
    const list = [at({ clients: 1 }), at({ clients: 2, connected: 1 }), at({ clients: 4, connected: 4 })];
    expect(kneeOf(list, 1_000).at).toBe(2);
    expect(kneeOf([at({ clients: 1, connected: 0 })], 1_000).lastGood).toBeNull();
  });
});

describe("a step the bench could not measure", () => {
  it("is the knee when every measured step held", () => {
    const aborted = scaleFixture();
    const ws = aborted.scale.transports[2];
    if (ws === undefined) throw new Error("empty fixture");
    ws.steps = ws.steps.slice(0, 2);
    ws.abortedAt = 40;
    ws.stopped = "the step of 40 could not be measured: GET /api/stats timed out";
    const knee = scaleFigures(aborted.scale, aborted.config, 2)[2]?.knee;
    expect(knee).toEqual({ at: 40, lastGood: 20, reasons: ["the step of 40 could not be measured: GET /api/stats timed out"], limit: null });
  });
});

describe("what limited a step", () => {
  const step = structuredClone(r.scale.transports[2]?.steps[0]);
  if (step === undefined) throw new Error("empty fixture");

  it("is nothing when neither side nor the machine was busy", () => {
    expect(limitOf(step, 2)).toBeNull();
  });

  it("puts descriptors and ports before anything else", () => {
    expect(limitOf({ ...step, connect: { ...step.connect, errorCodes: { EMFILE: 3 } } }, 2)?.kind).toBe("fd limit");
    expect(limitOf({ ...step, latency: { ...step.latency, errorCodes: { EADDRNOTAVAIL: 1 } } }, 2)?.kind).toBe("source ports");
  });

  it("calls the server's thread the limit when it was busy and the machine had room", () => {
    const busy = { ...step, latency: { ...step.latency, server: { ...step.latency.server, cpuMs: 1_900 }, machine: { busyMs: 2_500, wallMs: 2_000 } } };
    expect(limitOf(busy, 2)).toEqual({ kind: "server", text: "the server's thread was busy 95% of the latency window" });
  });

  it("says the server's thread was busy too when the generator was saturated", () => {
    const both = {
      ...step,
      latency: {
        ...step.latency,
        server: { ...step.latency.server, cpuMs: 1_900 },
        generator: { ...step.latency.generator, saturated: true, reasons: ["subscribers-1 event-loop delay p99 60.0 ms"] },
      },
    };
    expect(limitOf(both, 2)).toEqual({
      kind: "generator",
      text: "the load generator was saturated in the latency window (subscribers-1 event-loop delay p99 60.0 ms); the server's thread was also busy 95% of the latency window",
    });
  });

  it("calls it the machine's when server and generator shared saturated cores", () => {
    const shared = {
      ...step,
      idle: {
        ...step.idle,
        server: { ...step.idle.server, cpuMs: 1_600 },
        generator: { ...step.idle.generator, cpuMs: 2_000 },
        machine: { busyMs: 3_800, wallMs: 2_000 },
      },
    };
    const limit = limitOf(shared, 2);
    expect(limit?.kind).toBe("machine");
    expect(limit?.text).toContain("the generator shares them with the server");
  });
});
