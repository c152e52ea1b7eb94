import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../protocol/backoff.js";
import { subscribePath } from "../../protocol/endpoints.js";

describe("reconnect backoff", () => {
  const policy = { baseMs: 100, maxMs: 1_000 };

  it("doubles its ceiling per failed attempt up to the maximum", () => {
    const ceilings = [0, 1, 2, 3, 4, 10, 1_000].map((attempt) => backoffDelay(attempt, policy, () => 1));
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it("jitters between half the ceiling and the ceiling", () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(300);
  });
});

describe("subscribe paths", () => {
  it("carry the cursor and client id, and a timeout only for long polling", () => {
    expect(subscribePath("poll")).toBe("/api/poll");
    expect(subscribePath("sse", { after: 42, client: "tab-1" })).toBe("/api/sse?after=42&client=tab-1");
    expect(subscribePath("long-poll", { after: 0, timeoutMs: 25_000 })).toBe("/api/long-poll?after=0&timeout=25000");
    expect(subscribePath("stream", { timeoutMs: 5 })).toBe("/api/stream");
  });
});
