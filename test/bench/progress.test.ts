import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { BenchEvents } from "../../scripts/bench/events.js";
import { showProgress } from "../../scripts/bench/progress.js";

describe("progress display", () => {
  it("writes plain lines when stderr is not a terminal: one per stage, and the log", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const events = new BenchEvents();
    const stop = showProgress(events, Object.assign(stream, { isTTY: false }) as unknown as NodeJS.WriteStream);
    events.tick({ transport: "sse", stage: "connecting", fraction: 0, delivered: 0, expected: 0 });
    events.tick({ transport: "sse", stage: "connecting", fraction: 0, delivered: 0, expected: 0 });
    events.tick({ transport: "sse", stage: "measuring", fraction: 0.5, delivered: 50, expected: 100 });
    events.log("sse: 3 clients");
    stop();
    events.tick({ transport: "ws", stage: "measuring", fraction: 0.1, delivered: 1, expected: 100 });
    expect(text.split("\n")).toEqual(["sse       connecting        0% ", "sse       measuring        50% 50/100 deliveries", "sse: 3 clients", ""]);
  });
});
