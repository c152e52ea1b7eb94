import http2 from "node:http2";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.js";

/** The dashboard's CSP names its own WebSocket origin with the scheme of the connection the page came over. */
let server: TestServer;
let secureUrl: string;

beforeAll(async () => {
  server = await startServer({}, { tls: true });
  secureUrl = server.secureUrl ?? "";
});
afterAll(() => server.close());

function connectSrc(csp: string | undefined): string | undefined {
  return csp
    ?.split(";")
    .map((directive) => directive.trim())
    .find((directive) => directive.startsWith("connect-src"));
}

describe("the dashboard's connect-src", () => {
  it("is ws: on the plain port", async () => {
    const response = await fetch(`${server.url}/`);
    await response.arrayBuffer();
    expect(connectSrc(response.headers.get("content-security-policy") ?? undefined)).toBe(`connect-src 'self' ws://127.0.0.1:${server.port}`);
  });

  it("is wss: for HTTP/1.1 over TLS", async () => {
    const csp = await new Promise<string | undefined>((resolve, reject) => {
      const request = https.get(`${secureUrl}/`, { rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] } as https.RequestOptions, (response) => {
        response.resume();
        response.on("end", () => resolve(response.headers["content-security-policy"] as string | undefined));
      });
      request.on("error", reject);
    });
    expect(connectSrc(csp)).toBe(`connect-src 'self' wss://${new URL(secureUrl).host}`);
  });

  it("is wss: for HTTP/2, whose host is the :authority", async () => {
    const csp = await new Promise<string | undefined>((resolve, reject) => {
      const session = http2.connect(secureUrl, { rejectUnauthorized: false });
      session.on("error", reject);
      const stream = session.request({ ":path": "/" });
      let header: string | undefined;
      stream.on("response", (head) => {
        header = head["content-security-policy"] as string | undefined;
      });
      stream.resume();
      stream.on("end", () => {
        session.close();
        resolve(header);
      });
      stream.on("error", reject);
    });
    expect(connectSrc(csp)).toBe(`connect-src 'self' wss://${new URL(secureUrl).host}`);
  });
});
