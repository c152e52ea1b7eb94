import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { assertNoDeflate } from "../../server/transports/ws-frames.js";
import { publish } from "../helpers/subscribers.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

/**
 * Messages are written pre-framed through ws's private sender, acks and errors through ws's public
 * `send`: both must come out in the order they were written, under load, or a client would see an
 * ack before the message it acknowledges (ws-frames.ts says why they do).
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ publishRateMax: 1_000_000, wsRateCloseAfter: 1_000_000 });
});
afterAll(() => server.close());

describe("pre-framed messages and ws's own frames share one queue", () => {
  it("each ack arrives after the message it acknowledges, and messages stay in id order, while others publish too", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?after=${server.app.lab.feed.lastId}`);
    const seen: number[] = [];
    const acksOutOfOrder: number[] = [];
    let acks = 0;
    let errors = 0;
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type?: string; id: number };
      if (frame.type === "ack") {
        acks++;
        if (!seen.includes(frame.id)) acksOutOfOrder.push(frame.id);
      } else if (frame.type === "error") {
        errors++;
      } else if (frame.type === undefined) {
        seen.push(frame.id);
      }
    });
    await new Promise((resolve) => ws.once("open", resolve));
    const sends = 2_000;
    const others = Array.from({ length: 200 }, (_, i) => publish(server.url, `http ${i}`));
    for (let i = 0; i < sends; i++) {
      ws.send(JSON.stringify({ type: "send", from: "ws", text: `ws ${i}` }));
      // Every tenth frame is invalid: its error frame goes through ws's send too.
      if (i % 10 === 0) ws.send("not json");
    }
    await Promise.all(others);
    await waitFor(() => acks === sends && errors === sends / 10 && seen.length === sends + others.length, "every ack, error and message", 20_000);
    expect(acksOutOfOrder).toEqual([]);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    ws.close();
  });

  it("refuses to run with compression on, which would reorder them", () => {
    expect(() => assertNoDeflate({ perMessageDeflate: {} })).toThrow(/perMessageDeflate/);
    expect(() => assertNoDeflate({ perMessageDeflate: false })).not.toThrow();
  });
});
