import { randomBytes } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { StatsResponse } from "../../protocol/types.js";
import { accepts } from "../../server/compression.js";
import { ConfigError, resolveConfig } from "../../server/config.js";
import { CountingSocket } from "../helpers/counting-socket.js";
import { startServer, waitFor, waitForAsync, type TestServer } from "../helpers/server.js";

/**
 * Compression is off unless asked for, and then only for clients that ask: with it on, every
 * transport delivers the same bytes once decompressed, in order, the meter counts the compressed
 * bytes the client really receives, and a client that does not read is still cut off.
 */

type Coding = "gzip" | "br";

const statsOf = async (server: TestServer, client?: string): Promise<StatsResponse> =>
  (await (await fetch(`${server.url}/api/stats${client === undefined ? "" : `?client=${client}`}`)).json()) as StatsResponse;

/** Varied texts: repetitive, unicode, and random (which compresses badly). */
function publishSome(server: TestServer, count: number, random = false): void {
  for (let i = 0; i < count; i++) {
    const text = random ? randomBytes(900).toString("base64") : `message ${i} — café ☕ ${"hello ".repeat(i % 7)}`;
    server.app.lab.feed.publish({ from: `user${i % 3}`, text });
  }
}

/** A GET over HTTP/1.1 whose raw body (still compressed, if it is) is collected until `until` holds or it ends. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ response: http.IncomingMessage; body: () => Buffer; ended: Promise<void>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", () => undefined);
      const ended = new Promise<void>((done) => response.once("end", () => done()));
      resolve({ response, body: () => Buffer.concat(chunks), ended, close: () => request.destroy() });
    });
    request.on("error", reject);
  });
}

/** What has arrived of a stream flushed per message, decompressed (a sync flush leaves nothing held back). */
function decompressed(coding: Coding, bytes: Buffer): string {
  const options = { finishFlush: coding === "gzip" ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.BROTLI_OPERATION_FLUSH };
  return (coding === "gzip" ? zlib.gunzipSync(bytes, options) : zlib.brotliDecompressSync(bytes, options)).toString();
}

describe("off by default", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    publishSome(server, 5);
  });
  afterAll(() => server.close());

  it("answers polls and streams uncompressed, without Vary on Accept-Encoding, whatever the client accepts", async () => {
    for (const path of ["/api/poll", "/api/long-poll?after=0", "/api/stream", "/api/sse"]) {
      const answer = await rawGet(`${server.url}${path}`, { "accept-encoding": "gzip, deflate, br, zstd" });
      expect(answer.response.headers["content-encoding"], path).toBeUndefined();
      expect(String(answer.response.headers.vary ?? ""), path).not.toMatch(/accept-encoding/i);
      answer.close();
    }
  });

  it("does not negotiate permessage-deflate, and /api/stats says all is off", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { perMessageDeflate: true });
    const upgraded = new Promise<http.IncomingMessage>((resolve) => ws.once("upgrade", resolve));
    await new Promise((resolve) => ws.once("open", resolve));
    const upgrade = await upgraded;
    expect(upgrade.headers["sec-websocket-extensions"]).toBeUndefined();
    expect(ws.extensions).toBe("");
    ws.close();
    const { compression } = await statsOf(server);
    expect(compression).toEqual({ http: "off", wsDeflate: null, compressed: { poll: 0, "long-poll": 0, stream: 0, sse: 0, ws: 0 } });
  });
});

describe("settings", () => {
  it("reads LAB_COMPRESS, LAB_WS_DEFLATE and the window, and refuses what it does not know", () => {
    const config = resolveConfig(
      {},
      { LAB_COMPRESS: "br", LAB_WS_DEFLATE: "1", LAB_WS_DEFLATE_CONTEXT: "connection", LAB_WS_DEFLATE_WINDOW_BITS: "10", LAB_WS_DEFLATE_MEM_LEVEL: "4" },
    );
    expect([config.compress, config.wsDeflate, config.wsDeflateContext, config.wsDeflateWindowBits, config.wsDeflateMemLevel]).toEqual([
      "br",
      true,
      "connection",
      10,
      4,
    ]);
    expect(() => resolveConfig({}, { LAB_WS_DEFLATE_CONTEXT: "global" })).toThrow(ConfigError);
    expect(() => resolveConfig({}, { LAB_WS_DEFLATE_MEM_LEVEL: "10" })).toThrow(ConfigError);
    expect(() => resolveConfig({}, { LAB_COMPRESS: "zstd" })).toThrow(ConfigError);
    expect(() => resolveConfig({}, { LAB_WS_DEFLATE_WINDOW_BITS: "8" })).toThrow(ConfigError);
  });

  it("honours Accept-Encoding's q-values and *", () => {
    expect(accepts("gzip, deflate, br", "br")).toBe(true);
    expect(accepts("gzip;q=0, br", "gzip")).toBe(false);
    expect(accepts("*", "gzip")).toBe(true);
    expect(accepts("*;q=0", "br")).toBe(false);
    expect(accepts("identity", "gzip")).toBe(false);
    expect(accepts(undefined, "gzip")).toBe(false);
  });
});

describe.each(["gzip", "br"] as const)("with LAB_COMPRESS=%s", (coding) => {
  let server: TestServer;
  let base: number;
  beforeAll(async () => {
    server = await startServer({ compress: coding, heartbeatMs: 60_000, publishRateMax: 1_000_000 }, { tls: true });
    base = server.app.lab.feed.lastId;
    publishSome(server, 40);
  });
  afterAll(() => server.close());

  it.each(["/api/poll", "/api/long-poll"])("%s answers the same bytes compressed, to a client that asks, with Vary", async (path) => {
    const url = `${server.url}${path}?after=${base}`;
    const plain = await rawGet(url, {});
    const packed = await rawGet(url, { "accept-encoding": `identity;q=0.5, ${coding}` });
    await Promise.all([plain.ended, packed.ended]);
    expect(plain.response.headers["content-encoding"]).toBeUndefined();
    expect(plain.response.headers.vary).toMatch(/accept-encoding/i);
    expect(packed.response.headers["content-encoding"]).toBe(coding);
    expect(packed.response.headers.vary).toMatch(/accept-encoding/i);
    expect(Buffer.from(decompressed(coding, packed.body()))).toEqual(plain.body());
    expect(packed.body().length).toBeLessThan(plain.body().length);
  });

  it("a held long poll is answered compressed when a message arrives", async () => {
    const subscribers = server.app.lab.feed.subscriberCount;
    const answered = rawGet(`${server.url}/api/long-poll?after=${server.app.lab.feed.lastId}&timeout=10000`, { "accept-encoding": coding });
    await waitFor(() => server.app.lab.feed.subscriberCount === subscribers + 1, "the long poll to be held");
    publishSome(server, 1);
    const packed = await answered;
    await packed.ended;
    expect(packed.response.headers["content-encoding"]).toBe(coding);
    const answer = JSON.parse(decompressed(coding, packed.body())) as { messages: { id: number }[] };
    expect(answer.messages.map((m) => m.id)).toEqual([server.app.lab.feed.lastId]);
  });

  it.each(["stream", "sse"])("/api/%s over HTTP/1.1 carries the same bytes compressed, each message flushed as it is published", async (transport) => {
    const from = server.app.lab.feed.lastId;
    const url = `${server.url}/api/${transport}?after=${from}`;
    const plain = await rawGet(url, {});
    const packed = await rawGet(url, { "accept-encoding": coding });
    expect(packed.response.headers["content-encoding"]).toBe(coding);
    expect(packed.response.headers.vary).toMatch(/accept-encoding/i);
    publishSome(server, 30);
    const last = String(server.app.lab.feed.lastId);
    await waitFor(() => plain.body().includes(last) && decompressed(coding, packed.body()).includes(last), "the last message on both");
    expect(decompressed(coding, packed.body())).toBe(plain.body().toString());
    expect(packed.body().length).toBeLessThan(plain.body().length);
    // One message more, on its own: it arrives whole without anything after it to push it out.
    publishSome(server, 1);
    const next = String(server.app.lab.feed.lastId);
    await waitFor(() => decompressed(coding, packed.body()).includes(next) && plain.body().includes(next), "the next message");
    expect(decompressed(coding, packed.body())).toBe(plain.body().toString());
    plain.close();
    packed.close();
  });

  it.each(["stream", "sse"])("/api/%s over HTTP/2 carries the same bytes compressed", async (transport) => {
    const session = http2.connect(server.secureUrl as string, { rejectUnauthorized: false });
    session.on("error", () => undefined);
    const open = (headers: Record<string, string>): { chunks: Buffer[]; head: Promise<http2.IncomingHttpHeaders> } => {
      const stream = session.request({ ":path": `/api/${transport}?after=${server.app.lab.feed.lastId}`, ...headers });
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => undefined);
      return { chunks, head: new Promise((resolve) => stream.once("response", resolve)) };
    };
    const plain = open({});
    const packed = open({ "accept-encoding": coding });
    expect((await packed.head)["content-encoding"]).toBe(coding);
    expect((await plain.head)["content-encoding"]).toBeUndefined();
    publishSome(server, 20);
    const last = String(server.app.lab.feed.lastId);
    const packedText = (): string => decompressed(coding, Buffer.concat(packed.chunks));
    await waitFor(() => Buffer.concat(plain.chunks).includes(last) && packedText().includes(last), "the last message on both streams");
    expect(packedText()).toBe(Buffer.concat(plain.chunks).toString());
    session.destroy();
  });

  it("meters the compressed bytes: a stream's counts equal what the client's socket sent and received", async () => {
    const client = `count-${coding}`;
    const socket = new CountingSocket(server.port);
    socket.write(`GET /api/stream?client=${client}&after=${server.app.lab.feed.lastId} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: ${coding}\r\n\r\n`);
    await waitFor(() => socket.text.includes("\r\n\r\n"), "the response head");
    expect(socket.text.toLowerCase()).toContain(`content-encoding: ${coding}`);
    publishSome(server, 50);
    const plainSize = server.app.lab.feed
      .read(server.app.lab.feed.lastId - 50, 50, 1 << 20)
      .entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.json) + 1, 0);
    await waitForAsync(async () => (await statsOf(server, client)).client?.transports.stream.bytesOut === socket.received, "the meter to match the socket");
    // Quiet for a moment longer: the counts stay equal once everything has arrived.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counters = (await statsOf(server, client)).client?.transports.stream;
    expect(counters?.bytesOut).toBe(socket.received);
    expect(counters?.bytesIn).toBe(socket.sent);
    expect(socket.received).toBeLessThan(plainSize);
    await socket.destroy();
  });

  it("reports what it compressed per transport", async () => {
    const { compression } = await statsOf(server);
    expect(compression?.http).toBe(coding);
    expect(compression?.compressed.poll).toBeGreaterThanOrEqual(1);
    expect(compression?.compressed["long-poll"]).toBeGreaterThanOrEqual(2);
    expect(compression?.compressed.stream).toBeGreaterThanOrEqual(3);
    expect(compression?.compressed.sse).toBeGreaterThanOrEqual(2);
  });
});

describe.each(["shared", "connection"] as const)("with LAB_WS_DEFLATE=1, LAB_WS_DEFLATE_CONTEXT=%s", (context) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ wsDeflate: true, wsDeflateContext: context, publishRateMax: 1_000_000, wsRateCloseAfter: 1_000_000 });
    publishSome(server, 10);
  });
  afterAll(() => server.close());

  const connect = async (path: string, deflate: boolean): Promise<{ ws: WebSocket; texts: string[]; extensions: string | undefined }> => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { perMessageDeflate: deflate });
    const texts: string[] = [];
    ws.on("message", (data) => texts.push(String(data)));
    const upgraded = new Promise<http.IncomingMessage>((resolve) => ws.once("upgrade", resolve));
    await new Promise((resolve) => ws.once("open", resolve));
    const header = (await upgraded).headers["sec-websocket-extensions"];
    return { ws, texts, extensions: header };
  };
  it("negotiates it only with a client that offers it, and both get the same messages", async () => {
    const after = server.app.lab.feed.lastId - 10;
    const plain = await connect(`/api/ws?after=${after}`, false);
    const packed = await connect(`/api/ws?after=${after}`, true);
    expect(plain.extensions).toBeUndefined();
    expect(packed.extensions).toBe(
      context === "shared" ? "permessage-deflate; server_no_context_takeover; server_max_window_bits=15" : "permessage-deflate; server_max_window_bits=15",
    );
    publishSome(server, 30);
    await waitFor(() => plain.texts.length === 40 && packed.texts.length === 40, "40 messages on both");
    expect(packed.texts).toEqual(plain.texts);
    plain.ws.close();
    packed.ws.close();
    expect((await statsOf(server)).compression?.compressed.ws).toBeGreaterThanOrEqual(1);
  });

  it("keeps acks after their messages and messages in id order under load", async () => {
    const { ws, texts } = await connect(`/api/ws?after=${server.app.lab.feed.lastId}`, true);
    const sends = 1_000;
    for (let i = 0; i < sends; i++) {
      ws.send(JSON.stringify({ type: "send", from: "ws", text: `ws ${i} ${"compressible ".repeat(i % 5)}` }));
      if (i % 10 === 0) ws.send("not json");
      // Others publish meanwhile: their messages are written between the acks.
      if (i % 4 === 0) publishSome(server, 1);
    }
    const frames = (): { type?: string; id: number }[] => texts.map((text) => JSON.parse(text) as { type?: string; id: number });
    await waitFor(() => frames().filter((frame) => frame.type === "ack").length === sends, "every ack", 20_000);
    const seen = new Set<number>();
    const ids: number[] = [];
    for (const frame of frames()) {
      if (frame.type === undefined) {
        seen.add(frame.id);
        ids.push(frame.id);
      } else if (frame.type === "ack") expect(seen.has(frame.id)).toBe(true);
    }
    expect(frames().filter((frame) => frame.type === "error")).toHaveLength(sends / 10);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.length).toBe(sends + sends / 4);
    ws.close();
  });

  it("meters the compressed frames: counts equal the client's socket, below the uncompressed stream of the same messages", async () => {
    const handshake = (client: string, extensions: string): string =>
      `GET /api/ws?client=${client}&after=${server.app.lab.feed.lastId} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extensions}\r\n`;
    const packed = new CountingSocket(server.port);
    const plain = new CountingSocket(server.port);
    packed.write(handshake("ws-packed", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    plain.write(handshake("ws-plain", ""));
    await waitFor(() => packed.text.includes("\r\n\r\n") && plain.text.includes("\r\n\r\n"), "both handshakes");
    expect(packed.text).toContain("permessage-deflate");
    publishSome(server, 50);
    const last = String(server.app.lab.feed.lastId);
    await waitFor(() => plain.text.includes(last), "the plain socket's last message");
    for (const [socket, client] of [
      [packed, "ws-packed"],
      [plain, "ws-plain"],
    ] as const) {
      await waitForAsync(
        async () => (await statsOf(server, client)).client?.transports.ws.bytesOut === socket.received,
        `${client}'s meter to match its socket`,
      );
      expect((await statsOf(server, client)).client?.transports.ws.bytesIn).toBe(socket.sent);
    }
    // The same 50 messages, the handshakes differing by a few dozen bytes: compression shows.
    expect(packed.received).toBeLessThan(plain.received * 0.9);
    await Promise.all([packed.destroy(), plain.destroy()]);
  });
});

describe.each([
  { context: "shared", transports: ["stream", "sse", "ws"] },
  { context: "connection", transports: ["ws"] },
] as const)("a client that stops reading is still cut off with compression on (WebSocket deflate $context)", ({ context, transports }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      compress: "gzip",
      wsDeflate: true,
      wsDeflateContext: context,
      maxBufferedBytes: 128 * 1024,
      heartbeatMs: 60_000,
      publishRateMax: 1_000_000,
    });
  });
  afterAll(() => server.close());

  it.each(transports)(
    "%s: the stalled one is cut, a reading one beside it gets everything",
    async (transport) => {
      const before = (await statsOf(server)).transports[transport].cutoffs;
      const target = `/api/${transport}?after=${server.app.lab.feed.lastId}`;
      // The reader: compressed too, decompressed by its client library, read as fast as it comes.
      let readerText = (): string => "";
      let closeReader = (): void => undefined;
      if (transport === "ws") {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}${target}`, { perMessageDeflate: true });
        const texts: string[] = [];
        ws.on("message", (data) => texts.push(String(data)));
        await new Promise((resolve) => ws.once("open", resolve));
        expect(ws.extensions).toContain("permessage-deflate");
        readerText = () => texts.at(-1) ?? "";
        closeReader = () => ws.close();
      } else {
        const reader = await rawGet(`${server.url}${target}`, { "accept-encoding": "gzip" });
        // Decompressed as it comes; only the tail is kept, where the newest message is.
        const gunzip = zlib.createGunzip();
        let tail = "";
        gunzip.on("data", (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4_000)));
        // What arrived with the head (SSE's retry: hint) is already collected: it goes first.
        gunzip.write(reader.body());
        reader.response.on("data", (chunk: Buffer) => gunzip.write(chunk));
        gunzip.on("error", () => undefined);
        readerText = () => tail;
        closeReader = reader.close;
      }
      const socket = new CountingSocket(server.port);
      socket.write(
        transport === "ws"
          ? `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`
          : `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n`,
      );
      await waitFor(() => socket.text.includes("\r\n\r\n"), "the response head");
      expect(socket.text.toLowerCase()).toMatch(transport === "ws" ? /permessage-deflate/ : /content-encoding: gzip/);
      socket.pause();
      // Random text (compressed to about three quarters), 40 messages (~52 kB) at a time, each batch
      // once the reader has the previous one: paced by a client that reads (compressing is work: a
      // publisher faster than the compressor would have readers cut too), bounded.
      let published = 0;
      while ((await statsOf(server)).transports[transport].cutoffs === before && published < 20_000) {
        publishSome(server, 40, true);
        published += 40;
        const batchEnd = String(server.app.lab.feed.lastId);
        await waitFor(() => readerText().includes(batchEnd), "the reader to get the batch", 20_000);
      }
      expect((await statsOf(server)).transports[transport].cutoffs).toBe(before + 1);
      const last = String(server.app.lab.feed.lastId);
      await waitFor(() => readerText().includes(last), "the reader to get the last message", 20_000);
      expect((await statsOf(server)).transports[transport].cutoffs).toBe(before + 1);
      closeReader();
      await socket.destroy();
    },
    60_000,
  );
});
