import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, resolveConfig } from "../../server/config.js";
import { startServer, type TestServer } from "../helpers/server.js";

/** The status and X-Lab-Instance of one WebSocket handshake at `path`. */
async function handshakeInstance(url: string, path: string, protocol?: string): Promise<string | undefined> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}${path}`, protocol);
  const header = await new Promise<string | undefined>((resolve, reject) => {
    ws.once("upgrade", (response) => resolve(response.headers["x-lab-instance"] as string | undefined));
    ws.once("error", reject);
  });
  ws.terminate();
  return header;
}

describe("X-Lab-Instance", () => {
  let named: TestServer;
  let unnamed: TestServer;
  beforeAll(async () => {
    named = await startServer({ instance: "lab-2" });
    unnamed = await startServer();
  });
  afterAll(async () => {
    await named.close();
    await unnamed.close();
  });

  it("names the instance on answers, held responses, refusals and 404s, exposed to browsers", async () => {
    const origin = { origin: "http://127.0.0.1:5173" };
    for (const [path, status] of [
      ["/api/poll", 200],
      ["/api/long-poll?timeout=1", 200],
      ["/api/health", 200],
      ["/api/poll?after=x", 400],
      ["/api/nowhere", 404],
      ["/chat/info", 200],
    ] as const) {
      const response = await fetch(`${named.url}${path}`, { headers: origin });
      await response.arrayBuffer();
      expect([path, response.status, response.headers.get("x-lab-instance")]).toEqual([path, status, "lab-2"]);
    }
    // What the dashboard reads (its own API, from a page on another loopback origin such as Vite's).
    const poll = await fetch(`${named.url}/api/poll`, { headers: origin });
    await poll.arrayBuffer();
    expect(poll.headers.get("access-control-expose-headers")?.split(", ")).toContain("x-lab-instance");
    for (const path of ["/api/sse", "/api/stream"]) {
      const header = await new Promise<string | string[] | undefined>((resolve, reject) => {
        const request = get(`${named.url}${path}`, (response) => {
          resolve(response.headers["x-lab-instance"]);
          request.destroy();
        });
        request.once("error", reject);
      });
      expect([path, header]).toEqual([path, "lab-2"]);
    }
  });

  it("names the instance in every WebSocket handshake: /api/ws, STOMP and SockJS", async () => {
    expect(await handshakeInstance(named.url, "/api/ws")).toBe("lab-2");
    expect(await handshakeInstance(named.url, "/api/stomp", "v12.stomp")).toBe("lab-2");
    expect(await handshakeInstance(named.url, "/chat/000/instance-test/websocket")).toBe("lab-2");
  });

  it("is absent when the instance has no name, so a single server's bytes are unchanged", async () => {
    const response = await fetch(`${unnamed.url}/api/poll`);
    await response.arrayBuffer();
    expect(response.headers.get("x-lab-instance")).toBeNull();
    expect(await handshakeInstance(unnamed.url, "/api/ws")).toBeUndefined();
  });

  it("refuses a name that cannot go into a header", () => {
    expect(() => resolveConfig({}, { LAB_INSTANCE: "lab 1\r\nx: y" })).toThrow(ConfigError);
    expect(resolveConfig({}, { LAB_INSTANCE: "host-a:3001" }).instance).toBe("host-a:3001");
  });
});
