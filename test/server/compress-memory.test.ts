import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { HealthResponse } from "../../server/metering/health.js";
import { freePort, startChildServer } from "../helpers/child-server.js";
import { waitFor } from "../helpers/server.js";

/**
 * The server's memory per WebSocket with and without permessage-deflate, at 1,000 connections: a
 * measurement, not a check (run once for the README with LAB_MEASURE_MEMORY=1; it prints its
 * figures). The server runs in its own process with --expose-gc, so its RSS holds no client and is
 * read after a full collection.
 */
const CONNECTIONS = 1_000;

async function health(url: string): Promise<HealthResponse> {
  return (await (await fetch(`${url}/api/health?gc=1`)).json()) as HealthResponse;
}

/** Every connection subscribes without a cursor, so it is written the 20 recent messages: a compressor per connection is made. */
async function measure(deflate: "off" | "shared" | "connection", clientsSend: boolean): Promise<number> {
  const port = await freePort();
  const server = await startChildServer(
    port,
    {
      LAB_WS_DEFLATE: deflate === "off" ? "0" : "1",
      LAB_WS_DEFLATE_CONTEXT: deflate === "off" ? "shared" : deflate,
      LAB_MAX_HELD_PER_IP: "5000",
      LAB_MAX_HELD_CONNECTIONS: "5000",
    },
    ["--expose-gc"],
  );
  const url = `http://127.0.0.1:${port}`;
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      await fetch(`${url}/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ from: "warm", text: `warm-up ${i}` }),
      });
    }
    const before = await health(url);
    let replies = 0;
    for (let i = 0; i < CONNECTIONS; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { perMessageDeflate: true });
      ws.on("message", (data) => {
        if (String(data).includes('"error"')) replies++;
      });
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      // ws compresses only messages of 1 KiB or more: a large (refused) frame makes the server inflate one.
      if (clientsSend) ws.send(JSON.stringify({ type: "noop", pad: "x".repeat(1_100) }));
      sockets.push(ws);
    }
    if (clientsSend) await waitFor(() => replies === CONNECTIONS, "every error reply", 30_000);
    const after = await health(url);
    expect(after.heldConnections).toBeGreaterThanOrEqual(CONNECTIONS);
    return (after.rssBytes - before.rssBytes) / CONNECTIONS;
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

describe.skipIf(process.env.LAB_MEASURE_MEMORY !== "1")("server memory per WebSocket, 1,000 connections", () => {
  it("without deflate, shared deflate (before and after each client sent one compressed frame), deflate per connection", async () => {
    const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
    const off = await measure("off", false);
    const shared = await measure("shared", false);
    const sharedInflating = await measure("shared", true);
    const perConnection = await measure("connection", false);
    console.log(
      `RSS per connection: deflate off ${kib(off)}, shared ${kib(shared)}, shared after a compressed client frame ${kib(sharedInflating)}, per connection ${kib(perConnection)}`,
    );
  }, 180_000);
});
