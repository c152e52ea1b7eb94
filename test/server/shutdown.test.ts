import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { HealthResponse } from "../../server/metering/health.js";
import { waitFor, waitForAsync } from "../helpers/server.js";

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** The real entry point, as `npm start` runs it, in its own process. */
async function startMain(port: number): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LAB_TLS_PORT: String(await freePort()) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await waitFor(() => output.includes("over TLS"), `the server to start on both ports (output: ${output})`, 15_000);
  return { child, output: () => output, exited };
}

describe("SIGTERM / SIGINT", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s: answers the long poll, ends the stream, closes the WebSocket with 1001, exits 0 within 2 s", async (signal) => {
    const port = await freePort();
    const server = await startMain(port);
    child = server.child;
    const base = `http://127.0.0.1:${port}`;

    const longPoll = fetch(`${base}/api/long-poll?timeout=60000`).then(async (r) => ({ status: r.status, body: await r.json() }));
    const streamEnded = new Promise<boolean>((resolve) => {
      http.get(`${base}/api/stream`, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(true));
        res.on("error", () => resolve(false));
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`);
    const wsClosed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve) => ws.once("open", resolve));
    // The long poll, the stream and the WebSocket are each held and subscribed to the feed.
    await waitForAsync(async () => {
      const health = (await (await fetch(`${base}/api/health`)).json()) as HealthResponse;
      return health.heldConnections === 3 && health.subscribers === 3;
    }, "three held subscribers");

    const sentAt = Date.now();
    server.child.kill(signal);
    const code = await server.exited;
    const elapsed = Date.now() - sentAt;

    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(2_000);
    expect(await longPoll).toMatchObject({ status: 200, body: { messages: [] } });
    expect(await streamEnded).toBe(true);
    expect(await wsClosed).toBe(1001);
  });

  it("refuses to start with a readable error on a bad setting", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: { ...process.env, PORT: "3000", LAB_TLS_PORT: "0", LAB_HISTORY_SIZE: "lots" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("LAB_HISTORY_SIZE must be a whole number");
  });
});
