import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "undici";
import { diffCounts, SocketCounter } from "../../../scripts/bench/measure/socket-counter.js";

/** A raw TCP server that answers every request with a fixed response, so byte counts are known exactly. */
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
let server: Server;
let origin: string;
let received = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on("data", (chunk) => {
      received += chunk.length;
      socket.write(RESPONSE);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("client socket counter", () => {
  it("counts every byte of keep-alive requests on one connection, live and after close", async () => {
    const counter = new SocketCounter();
    const client = new Client(origin, { connect: counter.connector() });
    const before = counter.snapshot();
    for (let i = 0; i < 3; i++) await (await client.request({ method: "GET", path: "/" })).body.text();
    const live = counter.snapshot();
    expect(live.connections).toBe(1);
    expect(diffCounts(live, before).bytes.down).toBe(3 * RESPONSE.length);
    await client.close();
    const closed = counter.snapshot();
    expect(closed.bytes.down).toBe(3 * RESPONSE.length);
    expect(closed.bytes.up).toBe(received);
  });
});
