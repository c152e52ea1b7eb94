import { describe, expect, it } from "vitest";
import { parseCli } from "../../scripts/bench/args.js";
import { encode, createHistogram, recordMicros } from "../../scripts/bench/measure/histogram.js";
import type { BenchResults } from "../../scripts/bench/results.js";
import { exchangeFloor } from "../../scripts/report/model.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { allFigures, oneWayFloor } from "../../scripts/report/summary.js";
import { fixture } from "./fixture.js";

/** The fixed results.json as a `--network 4g --headers browser` run: each subscriber's first message 130 ms after connect start. */
function networkFixture(): BenchResults {
  const r = fixture();
  r.network = { name: "4g", profile: { rttMs: 60, downBitsPerSecond: 12e6, upBitsPerSecond: 6e6 }, process: "separate" };
  r.headers = { set: "browser", browser: "Chromium 156", extraRequestBytes: { poll: 475, "long-poll": 475, stream: 475, sse: 489, ws: 354 } };
  for (const run of r.transports) {
    const h = createHistogram();
    for (let i = 0; i < run.clients; i++) recordMicros(h, 130_000);
    run.firstMessage = { summary: { count: run.clients, mean: 130, p50: 130, p90: 130, p99: 130, p999: 130, max: 130 }, histogram: encode(h) };
    h.destroy();
  }
  return r;
}

describe("--network options", () => {
  it("takes a profile, or custom numbers over one", () => {
    expect(parseCli(["--network", "4g"]).config.network).toEqual({ name: "4g", profile: { rttMs: 60, downBitsPerSecond: 12e6, upBitsPerSecond: 6e6 } });
    expect(parseCli(["--rtt", "100", "--down", "8M"]).config.network).toEqual({
      name: "custom",
      profile: { rttMs: 100, downBitsPerSecond: 8e6, upBitsPerSecond: null },
    });
    expect(parseCli(["--network", "3g", "--rtt", "200ms"]).config.network?.name).toBe("3g (custom)");
    expect(parseCli([]).config.network).toBeUndefined();
  });

  it("lists the known profiles for an unknown one, and refuses what it cannot put a link in front of", () => {
    expect(() => parseCli(["--network", "5g"])).toThrow(/unknown profile "5g"; known profiles: loopback, lan, cable, 4g, 3g, intercontinental/);
    expect(() => parseCli(["--network", "4g", "--url", "http://127.0.0.1:3000"])).toThrow(/npm run net/);
    expect(() => parseCli(["--network", "4g", "--baseline"])).toThrow(/--baseline/);
    expect(() => parseCli(["--network", "4g", "--http", "2"])).toThrow(/plaintext HTTP\/1.1/);
    expect(() => parseCli(["--down", "fast"])).toThrow(/--down/);
  });
});

describe("a report over a link", () => {
  const r = networkFixture();
  const list = allFigures(r);

  it("puts the one-way floor at RTT/2 plus the message's serialization at the down rate", () => {
    expect(oneWayFloor({ rttMs: 60, downBitsPerSecond: 12e6, upBitsPerSecond: 6e6 }, 1500)).toBeCloseTo(30 + 1, 9);
    expect(oneWayFloor({ rttMs: 100, downBitsPerSecond: null, upBitsPerSecond: null }, 1500)).toBe(50);
    for (const f of list) {
      expect(f.firstMessage).toEqual({ p50: 130, p99: 130 });
      expect(f.aboveFloor?.p50).toBeCloseTo(f.latency.p50 - (f.oneWayFloorMs ?? 0), 9);
    }
  });

  it("counts a browser's request above the minimal one in a floor of its own", () => {
    const [poll] = list;
    if (poll?.browserFloorPerMessage == null || poll.floorPerMessage === null) throw new Error("the fixture's poll has no floors");
    const requests = poll.run.window.client.requests;
    const delivered = poll.run.delivery.delivered;
    expect(poll.browserFloorPerMessage.up - poll.floorPerMessage.up).toBeCloseTo((475 * requests) / delivered, 9);
    const input = { jsonBytes: 100, sampleId: 1, host: "127.0.0.1:3000", longPollTimeoutMs: 25_000 };
    expect(exchangeFloor("poll", { ...input, requestExtraBytes: 475 }).up - exchangeFloor("poll", input).up).toBe(475);
  });

  it("states the profile and the header set, and tables the first message", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("Network: `4g` (60 ms RTT, down 12 Mbit/s, up 6 Mbit/s)");
    expect(md).toContain("Request headers: a browser's (Chromium 156");
    expect(md).toContain("## Over the link: first message and the one-way floor");
    expect(md).toContain("floor with a browser's requests / msg");
  });
});
