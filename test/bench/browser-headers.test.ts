import { describe, expect, it } from "vitest";
import {
  browserClientId,
  browserExtraBytes,
  loadFixture,
  replayHeaders,
  splitRequestHeads,
  type BrowserHeaderFixture,
} from "../../scripts/bench/browser-headers.js";
import { parseCli } from "../../scripts/bench/args.js";
import { captureBrowserHeaders } from "../../scripts/bench/capture-browser-headers.js";
import { startPolling } from "../../scripts/bench/clients/poll.js";
import { SocketCounter } from "../../scripts/bench/measure/socket-counter.js";
import { TRANSPORTS } from "../../protocol/types.js";
import { startServer, waitFor } from "../helpers/server.js";

const lower = (headers: [string, string][]): string[] => headers.map(([name]) => name.toLowerCase());

describe("request heads from socket bytes", () => {
  it("splits keep-alive requests and stops at a WebSocket upgrade", () => {
    const raw =
      "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n" +
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n\x81\x85GET / HTTP/1.1\r\n\r\n";
    const heads = splitRequestHeads(raw);
    expect(heads.map((h) => h.requestLine)).toEqual(["GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /ws HTTP/1.1"]);
    expect(heads[0]?.headers).toEqual([
      ["Host", "h"],
      ["Accept", "*/*"],
    ]);
    expect(heads[0]?.bytes).toBe(Buffer.byteLength("GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"));
  });

  it("replays a browser's headers less those the client library writes itself, with the host filled in", () => {
    const fixture = loadFixture();
    const poll = replayHeaders(fixture, "poll", "127.0.0.1:4000");
    expect(Object.keys(poll).map((n) => n.toLowerCase())).not.toContain("host");
    expect(Object.keys(poll).map((n) => n.toLowerCase())).not.toContain("connection");
    // The lab's pages are served with Referrer-Policy: no-referrer, so its requests carry none.
    expect(poll["User-Agent"]).toMatch(/Chrome\//);
    expect(poll.Referer).toBeUndefined();
    const ws = replayHeaders(fixture, "ws", "127.0.0.1:4000");
    expect(ws.Origin).toBe("http://127.0.0.1:4000");
    expect(Object.keys(ws).map((n) => n.toLowerCase())).not.toContain("sec-websocket-key");
    expect(browserClientId(5)).toMatch(/^tab-[0-9a-z]{8}$/);
  });

  it("counts what a browser's request adds to a minimal one", () => {
    const extra = browserExtraBytes(loadFixture());
    for (const transport of TRANSPORTS) expect(extra[transport]).toBeGreaterThan(300);
  });
});

describe("bench options for headers", () => {
  it("sends a browser's headers by default, minimal on request, and refuses others", () => {
    expect(parseCli([]).config.headers).toBe("browser");
    expect(parseCli(["--headers", "minimal"]).config.headers).toBe("minimal");
    expect(() => parseCli(["--headers", "curl"])).toThrow(/--headers: expected browser or minimal/);
    expect(parseCli(["--scenario", "scale"]).config.headers).toBe("minimal");
    expect(() => parseCli(["--baseline", "--headers", "browser"])).toThrow(/minimal requests only/);
  });
});

describe("the bench's browser-like poll", () => {
  it("puts on the socket the bytes the captured browser's poll took, within a few", async () => {
    const server = await startServer();
    const counter = new SocketCounter();
    let messages = 0;
    const subscriber = startPolling(
      {
        origin: server.url,
        after: 0,
        counter,
        headers: "browser",
        index: 0,
        sink: { message: () => messages++, reset: () => undefined, error: (e) => expect.fail(String(e)), reconnect: () => undefined },
        // One request: the next would come a minute later.
        pollIntervalMs: 60_000,
        longPollTimeoutMs: 25_000,
      },
      "poll",
    );
    try {
      await subscriber.ready;
      await waitFor(() => counter.snapshot().bytes.up > 0, "the poll's bytes");
      const fixture = loadFixture();
      const captured = fixture.requests.poll;
      // The capture asked for after=0 from its own host; this request asks for after=0 from this one.
      const expected = captured.bytes - fixture.capturedHost.length + new URL(server.url).host.length;
      const counts = counter.snapshot();
      expect(counts.requests).toBe(1);
      expect(Math.abs(counts.bytes.up - expected)).toBeLessThanOrEqual(4);
    } finally {
      await subscriber.stop();
      await server.close();
    }
  });
});

describe("the Chromium header fixture", () => {
  it("still matches what the real browser sends, in shape", { timeout: 120_000 }, async () => {
    const fresh: BrowserHeaderFixture = await captureBrowserHeaders();
    const kept = loadFixture();
    for (const transport of TRANSPORTS) {
      const now = fresh.requests[transport];
      const then = kept.requests[transport];
      // The same headers in the same order; values may move with the browser's version.
      expect(lower(now.headers), `${transport}: rerun scripts/bench/capture-browser-headers.ts`).toEqual(lower(then.headers));
      expect(now.requestLine).toBe(then.requestLine);
      expect(Math.abs(now.bytes - then.bytes), `${transport} bytes`).toBeLessThanOrEqual(16);
    }
  });
});
