import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadCertificate } from "../../server/tls/certificate.js";
import { startServer, type TestServer } from "../helpers/server.js";

/** The TLS listener serves the same app as the plain one: HTTP/2 and HTTP/1.1 by ALPN, WebSocket over HTTP/1.1. */
let server: TestServer;
let secureUrl: string;

beforeAll(async () => {
  server = await startServer({}, { tls: true });
  secureUrl = server.secureUrl ?? "";
});
afterAll(() => server.close());

function h2get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; alpn: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(secureUrl, { rejectUnauthorized: false });
    session.on("error", reject);
    const stream = session.request({ ":path": path, ...headers });
    let body = "";
    let status = 0;
    stream.on("response", (head) => {
      status = Number(head[":status"]);
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status, body, alpn });
    });
    stream.on("error", reject);
  });
}

describe("TLS listener", () => {
  it("answers a poll over HTTP/2, negotiated by ALPN", async () => {
    const answer = await h2get("/api/poll");
    expect(answer.alpn).toBe("h2");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ messages: [], more: false });
  });

  it("refuses a foreign :authority on HTTP/2 as it refuses a foreign Host", async () => {
    const answer = await h2get("/api/poll", { ":authority": "rebound.example" });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "forbidden" });
  });

  it("answers HTTP/1.1 over TLS to a client that offers only http/1.1", async () => {
    const { status, version } = await new Promise<{ status: number; version: string }>((resolve, reject) => {
      const request = https.get(`${secureUrl}/api/poll`, { rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] } as https.RequestOptions, (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, version: response.httpVersion }));
      });
      request.on("error", reject);
    });
    expect(status).toBe(200);
    expect(version).toBe("1.1");
  });

  it("delivers a published message to a WebSocket over TLS and an SSE stream over HTTP/2", async () => {
    const after = server.app.lab.feed.lastId;
    const ws = new WebSocket(`${secureUrl.replace("https:", "wss:")}/api/ws?after=${after}`, { rejectUnauthorized: false });
    const wsGot = new Promise<string>((resolve) => ws.on("message", (data) => resolve(String(data))));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));

    const session = http2.connect(secureUrl, { rejectUnauthorized: false });
    const sse = session.request({ ":path": `/api/sse?after=${after}` });
    sse.setEncoding("utf8");
    let events = "";
    const sseGot = new Promise<void>((resolve) =>
      sse.on("data", (chunk: string) => {
        events += chunk;
        if (events.includes("over tls")) resolve();
      }),
    );
    await new Promise((resolve) => sse.once("response", resolve));

    const published = await fetch(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "t", text: "over tls" }),
    });
    expect(published.status).toBe(201);
    expect(JSON.parse(await wsGot)).toMatchObject({ text: "over tls" });
    await sseGot;
    ws.close();
    sse.close();
    session.close();
  });
});

describe("development certificate", () => {
  it("is created once for localhost and the loopback addresses, then reused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-tls-"));
    const first = await loadCertificate({ tlsCert: "", tlsKey: "" }, dir);
    const second = await loadCertificate({ tlsCert: "", tlsKey: "" }, dir);
    expect(first.origin).toBe("created");
    expect(second.origin).toBe("reused");
    expect(second.fingerprint).toBe(first.fingerprint);
    const names = new X509Certificate(first.cert).subjectAltName ?? "";
    expect(names).toContain("DNS:localhost");
    expect(names).toContain("IP Address:127.0.0.1");
  });

  it("is replaced by LAB_TLS_CERT and LAB_TLS_KEY", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-tls-"));
    const made = await loadCertificate({ tlsCert: "", tlsKey: "" }, dir);
    writeFileSync(join(dir, "c.pem"), made.cert);
    writeFileSync(join(dir, "k.pem"), made.key);
    const configured = await loadCertificate({ tlsCert: join(dir, "c.pem"), tlsKey: join(dir, "k.pem") }, join(dir, "unused"));
    expect(configured.origin).toBe("configured");
    expect(configured.cert).toBe(readFileSync(join(dir, "c.pem"), "utf8"));
  });
});

describe("idle HTTP/2 connections", () => {
  it("are closed with GOAWAY after the keep-alive time without a stream, not while a stream is open", async () => {
    const secure = server.app.secure;
    if (secure === null) throw new Error("no TLS listener");
    const before = secure.idleTimeoutMs;
    secure.idleTimeoutMs = 300;
    try {
      const idle = http2.connect(secureUrl, { rejectUnauthorized: false });
      const goaway = new Promise<void>((resolve) => idle.once("goaway", () => resolve()));
      await new Promise((resolve) => idle.once("connect", resolve));

      // A second connection holds a long poll longer than the idle time: it must not be closed.
      const busy = http2.connect(secureUrl, { rejectUnauthorized: false });
      let busyGoaway = false;
      busy.once("goaway", () => (busyGoaway = true));
      const poll = busy.request({ ":path": `/api/long-poll?after=${server.app.lab.feed.lastId}&timeout=1500` });
      poll.setEncoding("utf8");
      let answer = "";
      poll.on("data", (chunk: string) => (answer += chunk));
      const answered = new Promise<void>((resolve) => poll.once("end", () => resolve()));

      await goaway;
      await answered;
      expect(JSON.parse(answer)).toMatchObject({ messages: [] });
      expect(busyGoaway).toBe(false);
      idle.destroy();
      busy.destroy();
    } finally {
      secure.idleTimeoutMs = before;
    }
  });
});
