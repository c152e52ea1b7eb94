import http from "node:http";
import http2 from "node:http2";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ChatMessage } from "../../protocol/types.js";
import { H2Client } from "../helpers/h2-client.js";
import { HTTP_VERSIONS } from "../helpers/http-versions.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

/**
 * Property-based fuzzing of every input the server parses. Whatever the input, the answer is a 2xx,
 * or a 4xx with a JSON `{error, message}`; never a 5xx, never a crash; and the feed stays valid.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer(
    {
      publishRateMax: 1_000_000,
      // Every fuzzed frame must get its answer: no closing for too many invalid frames here
      // (test/hostile covers that limit).
      wsRateCloseAfter: 1_000_000,
      longPollDefaultMs: 10,
      longPollMaxMs: 20,
      maxHeldPerIp: 100_000,
      maxHeldConnections: 100_000,
    },
    { tls: true },
  );
});
afterAll(() => server.close());

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
afterAll(() => agent.destroy());

/** One request; a held stream's answer is taken as its head only, then the request is dropped. */
function send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port: server.port, method, path, headers, agent }, (response) => {
      const status = response.statusCode ?? 0;
      const contentType = String(response.headers["content-type"] ?? "");
      if (status === 200 && /event-stream|ndjson/.test(contentType)) {
        request.destroy();
        resolve({ status, contentType, body: "" });
        return;
      }
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status, contentType, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * The same over HTTP/2, on one connection (opened again if the server ends it). A request that
 * nghttp2 itself rejects as malformed (a header or path HTTP/2 does not allow) is reset with
 * PROTOCOL_ERROR before any route sees it: `null`, like a request Node's client refuses to send.
 */
let h2: H2Client | null = null;
const h2Count = { sent: 0, malformed: 0 };
afterAll(() => {
  h2?.close();
  console.log(`HTTP/2 fuzzing: ${h2Count.sent} requests, ${h2Count.malformed} of them refused as malformed before any route (by Node's client or nghttp2)`);
});

async function sendH2(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Answer | null> {
  if (h2 === null || h2.closed) h2 = await H2Client.connect(server.secureUrl ?? "");
  h2Count.sent++;
  const session = h2.session;
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": method, ":path": path, ...headers }, { endStream: body === undefined });
    } catch (error) {
      if (!(error instanceof TypeError)) return reject(error);
      h2Count.malformed++;
      return resolve(null);
    }
    let status = 0;
    let contentType = "";
    let text = "";
    stream.on("response", (head) => {
      status = Number(head[":status"]);
      contentType = String(head["content-type"] ?? "");
      if (status === 200 && /event-stream|ndjson/.test(contentType)) {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve({ status, contentType, body: "" });
      }
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => resolve({ status, contentType, body: text }));
    stream.on("error", () => undefined);
    stream.on("close", () => {
      if (status === 0 && stream.rstCode === http2.constants.NGHTTP2_PROTOCOL_ERROR) {
        h2Count.malformed++;
        resolve(null);
      } else if (status === 0) reject(new Error(`${method} ${path}: reset with ${stream.rstCode} before an answer`));
    });
    if (body !== undefined) stream.end(body);
  });
}

function expectWellFormed(answer: Answer, what: string): void {
  expect(answer.status, what).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, what).toMatch(/^application\/json/);
    const parsed = JSON.parse(answer.body) as { error?: unknown; message?: unknown };
    expect(typeof parsed.error, what).toBe("string");
    expect(typeof parsed.message, what).toBe("string");
  } else {
    expect(answer.status, what).toBeGreaterThanOrEqual(200);
  }
}

/** Every retained message is stored whole, ids contiguous. */
function expectFeedValid(): void {
  const { feed } = server.app.lab;
  const read = feed.read(feed.oldestId - 1);
  expect(read.reset).toBeNull();
  read.entries.forEach((entry, i) => {
    expect(entry.message.id).toBe(feed.oldestId + i);
    expect(JSON.parse(entry.json)).toEqual(entry.message);
    expect(typeof entry.message.from === "string" && typeof entry.message.text === "string").toBe(true);
  });
}

const anyText = fc.string({ unit: "binary", maxLength: 60 });
const fieldValue = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const publishLike = fc.record(
  { type: fc.constantFrom("send", "Send", "subscribe", ""), from: fieldValue, text: fieldValue, nonce: fieldValue, extra: fieldValue },
  { requiredKeys: [] },
);
const headerSafe = fc.array(fc.integer({ min: 0x20, max: 0xff }), { maxLength: 40 }).map((codes) => String.fromCharCode(...codes));

describe.each(HTTP_VERSIONS)("HTTP inputs over %s", (version) => {
  const sendOver = async (method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Answer | null> =>
    version === "HTTP/2" ? sendH2(method, path, headers, body) : send(method, path, headers, body);

  it("POST /api/messages: any body, any content type", async () => {
    const body = fc.oneof(
      anyText,
      fc.json(),
      publishLike.map((value) => JSON.stringify(value)),
      fc.record({ from: anyText, text: anyText }).map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(`{"from":"a","text":"${"x".repeat(20_000)}"}`),
    );
    const contentType = fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "",
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (payload, type) => {
        const headers: Record<string, string> = type === "" ? {} : { "content-type": type };
        const answer = await sendOver("POST", "/api/messages", headers, payload);
        if (answer === null) return;
        expectWellFormed(answer, `POST ${type} ${String(payload).slice(0, 80)}`);
        if (answer.status === 201) {
          const stored = JSON.parse(answer.body) as ChatMessage;
          const sent = JSON.parse(String(payload)) as { from: string; text: string };
          expect(stored).toMatchObject({ from: sent.from, text: sent.text });
        }
      }),
      { numRuns: 1_000 },
    );
    expectFeedValid();
  });

  it("query strings on every endpoint", async () => {
    const paths = fc.constantFrom("/api/poll", "/api/long-poll", "/api/stream", "/api/sse", "/api/ws", "/api/stats", "/api/messages", "/metrics");
    const key = fc.oneof(fc.constantFrom("after", "timeout", "client", "after[]", "__proto__", "constructor"), fc.string({ maxLength: 8 }));
    const value = fc.oneof(
      anyText,
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.constantFrom("", "0", "-1", "1e3", "0x10", "5abc", " 5", "9007199254740993", "NaN", "Infinity", "01"),
    );
    const raw = fc.constantFrom("after=%ZZ", "after=%", "after&after", "after=1&after=2", "=", "&&&", "client=%00", "timeout=99999999999999999999");
    const query = fc.oneof(
      fc.dictionary(key, value, { maxKeys: 3 }).map((d) => new URLSearchParams(d).toString()),
      raw,
    );
    await fc.assert(
      fc.asyncProperty(paths, query, async (path, q) => {
        const answer = await sendOver("GET", `${path}?${q}`, {});
        if (answer !== null) expectWellFormed(answer, `GET ${path}?${q}`);
      }),
      { numRuns: 1_000 },
    );
  });

  it("Last-Event-ID on /api/sse", async () => {
    const id = fc.oneof(headerSafe, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), fc.constantFrom("", " ", "1 2", "１２３"));
    await fc.assert(
      fc.asyncProperty(id, fc.option(fc.nat().map(String), { nil: undefined }), async (lastEventId, after) => {
        const path = after === undefined ? "/api/sse" : `/api/sse?after=${after}`;
        let answer: Answer | null;
        try {
          answer = await sendOver("GET", path, { "last-event-id": lastEventId });
        } catch (error) {
          // Node's client refuses some header values itself; those never reach the server.
          if (error instanceof TypeError) return;
          throw error;
        }
        if (answer === null) return;
        expectWellFormed(answer, `Last-Event-ID ${JSON.stringify(lastEventId)}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe("WebSocket messages", () => {
  it("every frame gets exactly one ack or error, and the connection stays open", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?after=${server.app.lab.feed.lastId}`);
    const controls: { type: string; error?: string }[] = [];
    let closed = false;
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type?: string };
      if (frame.type === "ack" || frame.type === "error") controls.push(frame as { type: string });
    });
    ws.on("close", () => (closed = true));
    await new Promise((resolve) => ws.on("open", resolve));
    const frame = fc.oneof(
      anyText.map((text) => ({ text, binary: false })),
      fc.json().map((text) => ({ text, binary: false })),
      publishLike.map((value) => ({ text: JSON.stringify(value), binary: false })),
      fc.record({ type: fc.constant("send"), from: anyText, text: anyText }).map((value) => ({ text: JSON.stringify(value), binary: false })),
      fc.uint8Array({ maxLength: 100 }).map((bytes) => ({ text: Buffer.from(bytes).toString("latin1"), binary: true })),
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frame, async ({ text, binary }) => {
        ws.send(binary ? Buffer.from(text, "latin1") : text, { binary });
        sent++;
        await waitFor(() => controls.length === sent || closed, "an answer to the frame");
        expect(closed).toBe(false);
      }),
      { numRuns: 400 },
    );
    ws.close();
    expectFeedValid();
  });
});

it("afterwards the server still serves and releases everything", async () => {
  expect((await send("GET", "/api/stats", {})).status).toBe(200);
  await waitFor(() => server.app.heldConnections.size === 0 && server.app.lab.feed.subscriberCount === 0, "every connection released", 10_000);
  expectFeedValid();
});
