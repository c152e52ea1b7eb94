import { gzipSync, brotliCompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { ChatMessage, Transport } from "../../protocol/types.js";
import { parseCli } from "../../scripts/bench/args.js";
import { decodeBody } from "../../scripts/bench/clients/content-coding.js";
import { startSubscriber } from "../../scripts/bench/clients/index.js";
import { SocketCounter } from "../../scripts/bench/measure/socket-counter.js";
import { startServer, waitFor } from "../helpers/server.js";

describe("--compress", () => {
  it("takes gzip or br and refuses what the bench cannot set", () => {
    expect(parseCli(["--compress", "br"]).config.compress).toBe("br");
    expect(parseCli([]).config.compress).toBeUndefined();
    expect(() => parseCli(["--compress", "zstd"])).toThrow(/--compress: expected gzip or br/);
    expect(() => parseCli(["--compress", "gzip", "--url", "http://127.0.0.1:3000"])).toThrow(/cannot target --url/);
    expect(() => parseCli(["--compress", "gzip", "--http", "both"])).toThrow(/one --http version/);
  });

  it("decodes a whole body in its coding", () => {
    const text = JSON.stringify({ messages: [], cursor: 1, more: false });
    expect(decodeBody(gzipSync(text), "gzip").toString()).toBe(text);
    expect(decodeBody(brotliCompressSync(text), "br").toString()).toBe(text);
    expect(decodeBody(Buffer.from(text), undefined).toString()).toBe(text);
    expect(() => decodeBody(Buffer.from(text), "zstd")).toThrow(/content-encoding/);
  });
});

describe("the bench's clients against a compressing server", () => {
  const texts = Array.from({ length: 5 }, (_, i) => `compressible message ${i} ${"lorem ipsum ".repeat(8)}`);

  for (const [transport, headers] of [
    ["poll", "minimal"],
    ["long-poll", "browser"],
    ["stream", "minimal"],
    ["sse", "browser"],
    ["ws", "browser"],
  ] as [Transport, "minimal" | "browser"][]) {
    it(`${transport} (${headers} headers) asks for gzip, inflates it and counts the compressed body`, async () => {
      const server = await startServer({ compress: "gzip", wsDeflate: true });
      const counter = new SocketCounter();
      const received: ChatMessage[] = [];
      const subscriber = startSubscriber(transport, {
        origin: server.url,
        after: 0,
        counter,
        headers,
        acceptEncoding: "gzip",
        index: 0,
        sink: { message: (m) => received.push(m), reset: () => undefined, error: (e) => expect.fail(String(e)), reconnect: () => undefined },
        pollIntervalMs: 100,
        longPollTimeoutMs: 5_000,
      });
      try {
        await subscriber.ready;
        for (const text of texts) {
          const response = await fetch(`${server.url}/api/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ from: "test", text }),
          });
          expect(response.status).toBe(201);
        }
        await waitFor(() => received.length >= texts.length, "every message");
        expect(received.map((m) => m.text)).toEqual(texts);
        const stats = (await (await fetch(`${server.url}/api/stats`)).json()) as { compression?: { compressed: Record<Transport, number> } };
        expect(stats.compression?.compressed[transport]).toBeGreaterThan(0);
        const json = received.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)), 0);
        // A stream's body is counted as it came off the socket: less than the messages it carried.
        if (transport === "stream" || transport === "sse") expect(counter.snapshot().body).toBeLessThan(json);
      } finally {
        await subscriber.stop();
        await server.close();
      }
    });
  }
});
