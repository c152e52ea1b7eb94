import { writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../chromium.js";
import { request } from "undici";
import type { Transport } from "../../protocol/types.js";
import { FIXTURE_URL, splitRequestHeads, withPlaceholder, type BrowserHeaderFixture, type CapturedRequest } from "./browser-headers.js";
import { startServer } from "./server-process.js";

/**
 * Captures the request heads a real Chromium sends for the dashboard's subscriber requests: the
 * lab's server (spawned as `npm start` would), a tap in front of it that records every byte the
 * browser writes on each TCP connection, and a page served through the tap that makes each request
 * the way the dashboard's transports do (fetch with `cache: "no-store"` for polling, long polling
 * and streaming, EventSource, WebSocket). The heads are read from the socket bytes, so case, order
 * and spacing are the browser's own.
 *
 *   npx tsx scripts/bench/capture-browser-headers.ts [--out FILE]
 */

/** A TCP pass-through that keeps each connection's client-to-server bytes. */
async function startTap(targetPort: number): Promise<{ port: number; connections: Buffer[][]; close(): Promise<void> }> {
  const connections: Buffer[][] = [];
  const server: Server = createServer((client) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    client.on("data", (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The requests the page makes, in the dashboard's own way; `client` is a dashboard-like tab id. */
const PAGE_SCRIPT = async (client: string): Promise<void> => {
  const q = `after=0&client=${client}`;
  await (await fetch(`/api/poll?${q}`, { cache: "no-store" })).text();
  await (await fetch(`/api/long-poll?${q}&timeout=1000`, { cache: "no-store" })).text();
  const controller = new AbortController();
  const stream = await fetch(`/api/stream?${q}`, { signal: controller.signal, cache: "no-store" });
  await stream.body?.getReader().read();
  controller.abort();
  await new Promise<void>((resolve, reject) => {
    const source = new EventSource(`/api/sse?${q}`);
    source.onmessage = () => {
      source.close();
      resolve();
    };
    source.onerror = () => reject(new Error("EventSource failed"));
  });
  await new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(`ws://${location.host}/api/ws?${q}`);
    socket.onmessage = () => {
      socket.close();
      resolve();
    };
    socket.onerror = () => reject(new Error("WebSocket failed"));
  });
};

/** The page's own dashboard opens connections too: the capture's requests are told apart by this id. */
const CAPTURE_CLIENT = "tab-capture0";

const PATHS: Record<Transport, string> = { poll: "/api/poll?", "long-poll": "/api/long-poll?", stream: "/api/stream?", sse: "/api/sse?", ws: "/api/ws?" };

export async function captureBrowserHeaders(executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"): Promise<BrowserHeaderFixture> {
  const server = await startServer({});
  const tap = await startTap(Number(new URL(server.url).port));
  const browser = await launchChromium(executablePath);
  try {
    // One message in the feed, so every request gets an answer at once.
    const published = await request(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "capture", text: "hello" }),
    });
    await published.body.dump();
    const host = `127.0.0.1:${tap.port}`;
    const page = await browser.newPage();
    await page.goto(`http://${host}/`);
    await page.evaluate(PAGE_SCRIPT, CAPTURE_CLIENT);
    await page.close();
    const heads = tap.connections.flatMap((chunks) => splitRequestHeads(Buffer.concat(chunks).toString("latin1")));
    const requests = {} as Record<Transport, CapturedRequest>;
    for (const [transport, prefix] of Object.entries(PATHS) as [Transport, string][]) {
      const head = heads.find((h) => h.requestLine.startsWith(`GET ${prefix}after=0&client=${CAPTURE_CLIENT}`));
      if (head === undefined) throw new Error(`no ${transport} request was captured`);
      requests[transport] = withPlaceholder(head, host);
    }
    return { browser: `Chromium ${browser.version()}`, capturedAt: new Date().toISOString(), capturedHost: host, requests };
  } finally {
    await browser.close();
    await tap.close();
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf("--out");
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const fixture = await captureBrowserHeaders();
  const path = out ?? fileURLToPath(FIXTURE_URL);
  writeFileSync(path, `${JSON.stringify(fixture, null, 2)}\n`);
  process.stdout.write(`${fixture.browser}: wrote ${path}\n`);
  for (const [transport, r] of Object.entries(fixture.requests)) process.stdout.write(`  ${transport.padEnd(9)} ${r.bytes} B  ${r.requestLine}\n`);
}
