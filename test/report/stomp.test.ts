import { describe, expect, it } from "vitest";
import { insights } from "../../scripts/report/insights.js";
import { renderMarkdown } from "../../scripts/report/render-md.js";
import { stompComparisons, stompTable } from "../../scripts/report/stomp.js";
import { allFigures } from "../../scripts/report/summary.js";
import { sections } from "../../scripts/report/tables.js";
import { fixture } from "./fixture.js";
import { stompFixture } from "./stomp-fixture.js";

describe("the report's STOMP section", () => {
  it("compares STOMP over WebSocket with WebSocket, and STOMP over SockJS with STOMP over WebSocket and with SSE", () => {
    const list = allFigures(stompFixture());
    expect(stompComparisons(list).map((c) => c.label)).toEqual([
      "STOMP over WebSocket against WebSocket",
      "STOMP over SockJS (xhr-streaming) against STOMP over WebSocket",
      "STOMP over SockJS (xhr-streaming) against SSE",
    ]);
  });

  it("says per message what each adds in bytes, in the floor, in CPU and latency, with the repeats' noise", () => {
    const table = stompTable(stompComparisons(allFigures(stompFixture())));
    expect(table.head).toEqual([
      "comparison",
      "bytes / message",
      "added / message",
      "of which the framing floor",
      "requests / message",
      "server CPU / 1,000 deliveries",
      "CPU ratio",
      "p50",
      "p99",
    ]);
    const [stomp, sockjs, sse] = table.rows;
    expect(stomp?.slice(0, 3)).toEqual(["STOMP over WebSocket against WebSocket", "340 B (306–408) against 200 B (180–240)", "+140 B"]);
    // The MESSAGE frame's command, five headers and NUL around a 150-byte message.
    expect(stomp?.[3]).toBe("+134 B");
    // 150 against 100 ms per 1,000 deliveries, ranges 135–180 and 90–120: told apart.
    expect(stomp?.[6]).toBe("1.50×");
    expect(sockjs?.[2]).toBe("+40 B");
    // 200 against 150 ms, ranges 180–240 and 135–180: they touch, so no claim.
    expect(sockjs?.[6]).toBe("1.33×, within noise");
    expect(sse?.slice(1, 3)).toEqual(["380 B (342–456) against 200 B (180–240)", "+180 B"]);
  });

  it("puts the section after the bytes table, and a sentence per comparison in What this run shows", () => {
    const r = stompFixture();
    const ids = sections(r, allFigures(r)).map((s) => s.id);
    expect(ids.indexOf("stomp")).toBe(ids.indexOf("bytes") + 1);
    const lines = insights(r).filter((line) => line.startsWith("STOMP over "));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^STOMP over WebSocket against WebSocket: \+140 B per delivered message \(the framing floor's share, .*: \+134 B\); server CPU per 1,000 deliveries 1\.50×/,
    );
    const md = renderMarkdown(r);
    expect(md).toContain("## What STOMP and SockJS add per message");
    expect(md).toContain("| STOMP over SockJS (xhr-streaming) against SSE |");
  });

  it("is absent from a run without STOMP", () => {
    const r = fixture();
    expect(stompComparisons(allFigures(r))).toEqual([]);
    expect(sections(r, allFigures(r)).map((s) => s.id)).not.toContain("stomp");
  });
});
