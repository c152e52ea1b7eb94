import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRuns } from "../../server/dashboard-reports.js";
import { startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  await fetch(`${server.url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "ada", text: "on the wire" }),
  });
});
afterAll(async () => {
  await server?.close();
});

interface Capture {
  request: string;
  response: string;
  websocket?: { accept: string | null; expectedAccept: string; firstFrame: { opcode: number; payload: string } | null };
}

async function capture(transport: string): Promise<Capture> {
  const response = await fetch(`${server.url}/api/wire/${transport}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Capture;
}

describe("the wire echo", () => {
  it("returns the real bytes of a poll: request line, status line, headers and the JSON body", async () => {
    const wire = await capture("poll");
    expect(wire.request).toMatch(/^GET \/api\/poll\?after=\d+&client=wire-[0-9a-f]{12} HTTP\/1\.1\r\n/);
    expect(wire.response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(wire.response).toMatch(/\r\ncontent-length: \d+\r\n/i);
    expect(wire.response).toContain('"text":"on the wire"');
  });

  it("returns an NDJSON line and an SSE event inside their HTTP chunks", async () => {
    expect((await capture("stream")).response).toMatch(/\r\n\r\n[0-9a-f]+\r\n\{"id":\d+,"from":"ada","text":"on the wire",[^\n]*\}\n\r\n/);
    expect((await capture("sse")).response).toMatch(/\r\n[0-9a-f]+\r\nretry: \d+\n\nid: \d+\ndata: \{"id":\d+,[^\n]*\}\n\n/);
  });

  it("returns the WebSocket upgrade, the 101 with an accept that matches the key, and the first frame", async () => {
    const wire = await capture("ws");
    expect(wire.request).toMatch(/\r\nSec-WebSocket-Key: [A-Za-z0-9+/]{22}==\r\n/);
    expect(wire.response).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(wire.websocket?.accept).toBe(wire.websocket?.expectedAccept);
    expect(wire.websocket?.firstFrame?.opcode).toBe(1);
    expect(wire.websocket?.firstFrame?.payload).toContain("on the wire");
  });

  it("refuses an unknown transport or an unknown query field with a 400 JSON error", async () => {
    for (const path of ["/api/wire/carrier-pigeon", "/api/wire/poll?after=1"]) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "bad_request", message: expect.any(String) });
    }
  });
});

describe("the reports list", () => {
  it("lists run folders holding a report or results, newest first, with their URLs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lab-results-"));
    try {
      await mkdir(join(dir, "2026-01-02-fanout"));
      await writeFile(join(dir, "2026-01-02-fanout", "report.html"), "<h1>r</h1>");
      await writeFile(join(dir, "2026-01-02-fanout", "results.json"), "{}");
      await mkdir(join(dir, "2026-03-04T10-20-30-burst"));
      await writeFile(join(dir, "2026-03-04T10-20-30-burst", "results.json"), "{}");
      await mkdir(join(dir, "2026-11-25T153012-soak"));
      await writeFile(join(dir, "2026-11-25T153012-soak", "report.html"), "<h1>r</h1>");
      await mkdir(join(dir, "empty-folder"));
      await writeFile(join(dir, "stray.txt"), "x");
      const runs = await listRuns(dir);
      expect(runs.map((r) => [r.name, r.date, r.scenario, r.reportUrl, r.resultsUrl])).toEqual([
        ["2026-11-25T153012-soak", "2026-11-25T153012", "soak", "/results/2026-11-25T153012-soak/report.html", null],
        ["2026-03-04T10-20-30-burst", "2026-03-04T10-20-30", "burst", null, "/results/2026-03-04T10-20-30-burst/results.json"],
        ["2026-01-02-fanout", "2026-01-02", "fanout", "/results/2026-01-02-fanout/report.html", "/results/2026-01-02-fanout/results.json"],
      ]);
      expect(await listRuns(join(dir, "missing"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serves the list as JSON and never a file outside results/", async () => {
    const response = await fetch(`${server.url}/api/reports`);
    expect(response.status).toBe(200);
    expect(Array.isArray(((await response.json()) as { runs: unknown }).runs)).toBe(true);
    const traversal = await fetch(`${server.url}/results/..%2fpackage.json`);
    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(await traversal.text()).not.toContain("transport-lab");
  });
});
