import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, fmt, ms } from "../../scripts/report/format.js";
import { chooseTransport, openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

const RESULTS = fileURLToPath(new URL("../../results/", import.meta.url));
const CARD_TRANSPORTS = ["poll", "long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"];

/** The raw fields of a phase in results.json that a card's figures come from. */
interface Phase {
  transport: string;
  compression?: string;
  wire?: { version: string; tls: boolean };
  delivery: { delivered: number };
  latency: { summary: { count: number; p99: number } };
  window: { client: { bytes: { up: number; down: number }; requests: number } };
  repeats?: Phase[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/**
 * What a card must show, worked out here from the committed results.json files themselves: the
 * newest run with a phase of the transport that delivered messages (its uncompressed HTTP/1.1
 * phase first), and that phase's medians over its repeats.
 */
function expectedCost(transport: string): { run: string; bytes: number; p99: number; requests: number } | null {
  const runs = readdirSync(RESULTS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .reverse();
  for (const run of runs) {
    let results: { schema?: number; transports?: Phase[]; cluster?: unknown };
    try {
      results = JSON.parse(readFileSync(`${RESULTS}${run}/results.json`, "utf8")) as typeof results;
    } catch {
      continue;
    }
    // A run through a cluster (`--cluster`) is not one server's costs: the cards skip it.
    if (results.schema !== 1 || !Array.isArray(results.transports) || results.cluster !== undefined) continue;
    const plain = (p: Phase): boolean =>
      (p.compression === undefined || p.compression === "off") && (p.wire === undefined || (p.wire.version === "1.1" && !p.wire.tls));
    const phases = results.transports.filter((p) => p.transport === transport);
    for (const phase of [...phases.filter(plain), ...phases.filter((p) => !plain(p))]) {
      const repeats = phase.repeats ?? [phase];
      if (phase.delivery.delivered === 0 || phase.latency.summary.count === 0) continue;
      const each = repeats.filter((r) => r.delivery.delivered > 0);
      return {
        run,
        bytes: median(each.map((r) => (r.window.client.bytes.up + r.window.client.bytes.down) / r.delivery.delivered)),
        p99: median(repeats.map((r) => r.latency.summary.p99)),
        requests: median(each.map((r) => r.window.client.requests / r.delivery.delivered)),
      };
    }
  }
  return null;
}

describe("transport cards", () => {
  it("each card shows the cost its transport measured in the newest committed run, as that run's results.json has it", async () => {
    const { page, errors } = await openDashboard(lab, "transports");
    const cards = page.getByRole("list", { name: "Transport cards" });
    await expect.poll(() => cards.locator('.card-cost[data-state="loading"]').count(), { timeout: 10_000 }).toBe(0);
    for (const transport of CARD_TRANSPORTS) {
      const card = cards.locator(`article[data-transport="${transport}"]`);
      expect(await card.getByRole("heading", { level: 4, name: "Known limits" }).count()).toBe(1);
      const expected = expectedCost(transport);
      const cost = card.locator(".card-cost");
      if (expected === null) {
        expect(await cost.getAttribute("data-state")).toBe("none");
        expect(await cost.textContent()).toContain("No benchmark run in results/ has measured");
        continue;
      }
      expect(await cost.getAttribute("data-run")).toBe(expected.run);
      const value = async (key: string): Promise<{ value: number; text: string }> => {
        const dd = cost.locator(`dd[data-figure="${key}"]`);
        return { value: Number(await dd.getAttribute("data-value")), text: (await dd.textContent()) ?? "" };
      };
      const perMessage = await value("bytes-per-message");
      expect(perMessage.value).toBeCloseTo(expected.bytes, 6);
      expect(perMessage.text.startsWith(bytes(expected.bytes))).toBe(true);
      const p99 = await value("p99");
      expect(p99.value).toBeCloseTo(expected.p99, 6);
      expect(p99.text).toBe(ms(expected.p99));
      const requests = await value("requests-per-message");
      expect(requests.value).toBeCloseTo(expected.requests, 6);
      expect(requests.text).toBe(fmt(expected.requests, 3));
      expect(await cost.getByRole("link", { name: expected.run }).getAttribute("href")).toBe(`/results/${expected.run}/report.html`);
    }
    // The limits the issue names are in the cards' words.
    expect(await cards.locator('article[data-transport="sse"]').textContent()).toContain("no client-to-server channel");
    expect(await cards.locator('article[data-transport="stream"]').textContent()).toContain("six connections");
    expect(await cards.locator('article[data-transport="stream"]').textContent()).toContain("buffer responses");
    await screenshot(page, "transports-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("fits 390 px, and the cards' links and the run's conditions are reached with the keyboard", async () => {
    const { page, errors } = await openDashboard(lab, "transports", 390);
    const cards = page.getByRole("list", { name: "Transport cards" });
    await expect.poll(() => cards.locator('.card-cost[data-state="loading"]').count(), { timeout: 10_000 }).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    if (expectedCost("poll") !== null) {
      await page.getByRole("tabpanel", { name: "Transports" }).focus();
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest("article")?.getAttribute("data-transport"))).toBe("poll");
      // The report link, results.json, then the conditions' summary, which Enter opens.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      expect(await cards.locator('article[data-transport="poll"] details').getAttribute("open")).not.toBeNull();
    }
    await screenshot(page, "transports-390");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("answers GET /api/transport-costs for one transport, and refuses an unknown one with a 400 JSON error", async () => {
    const one = (await (await fetch(`${lab.server.url}/api/transport-costs?transport=sse`)).json()) as { transports: Record<string, unknown> };
    expect(Object.keys(one.transports)).toEqual(["sse"]);
    for (const query of ["transport=pigeon", "transport=sse&x=1"]) {
      const response = await fetch(`${lab.server.url}/api/transport-costs?${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "bad_request", message: expect.any(String) });
    }
  });
});

describe("race chart", () => {
  it("draws delays on a log axis that spans polling and the fastest, and names the x axis as the table's rows", async () => {
    const { page, errors } = await openDashboard(lab, "race");
    const states = page.getByRole("list", { name: "Race transports" });
    await expect.poll(() => states.locator('[data-state="open"]').count(), { timeout: 15_000 }).toBe(CARD_TRANSPORTS.length);
    const table = page.getByRole("table", { name: "Arrival delay per transport" });
    const complete = async (): Promise<number> => {
      const cells = await table.locator("tbody tr").first().locator("td").allTextContents();
      return cells.filter((t) => /\d+ ms/.test(t)).length;
    };
    for (let lap = 0; lap < 2; lap++) {
      const rows = await table.locator("tbody tr").count();
      await page.getByRole("button", { name: "Send a race message" }).click();
      await expect.poll(() => table.locator("tbody tr").count(), { timeout: 15_000 }).toBe(rows + 1);
      await expect.poll(complete, { timeout: 15_000 }).toBe(CARD_TRANSPORTS.length);
    }
    const axes = JSON.parse((await page.locator(".race canvas").getAttribute("data-axes")) ?? "{}") as {
      x: string[];
      y: { type: string; min: number; max: number };
    };
    expect(axes.y.type).toBe("logarithmic");
    const rowNames = await table.locator("tbody tr th").allTextContents();
    // The table lists the newest first, the chart runs oldest to newest: the same names.
    expect(axes.x.slice(-rowNames.length)).toEqual([...rowNames].reverse());
    const delays = (await table.locator("tbody td").allTextContents()).map((t) => Number(/(\d+) ms/.exec(t)?.[1]));
    const shown = delays.filter((d) => Number.isFinite(d)).map((d) => Math.max(1, d));
    expect(axes.y.min).toBeLessThanOrEqual(Math.min(...shown));
    expect(axes.y.max).toBeGreaterThanOrEqual(Math.max(...shown));
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe("under the hood", () => {
  it("each captured block's headers, framing and payload add up to its byte total; the payload is the message", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "SSE");
    await sendChat(page, "how many bytes is this?");
    await expect.poll(() => page.locator("[role=log] li[data-id]").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole("tab", { name: "Under the hood" }).click();
    const panel = page.getByRole("tabpanel", { name: "Under the hood" });
    for (const [label, blocks] of [
      ["SSE", 3],
      ["HTTP streaming", 3],
      ["Polling", 3],
      ["WebSocket", 3],
      ["STOMP over WebSocket", 6],
    ] as const) {
      await panel.getByRole("combobox", { name: "Transport" }).selectOption({ label });
      const shown = async (): Promise<number> => ((await panel.locator("h2").textContent()) === label ? panel.locator(".share").count() : -1);
      await expect.poll(shown, { timeout: 10_000 }).toBeGreaterThanOrEqual(blocks);
      const shares = await panel.locator(".share").evaluateAll((all) => all.map((s) => ({ ...(s as HTMLElement).dataset })));
      for (const share of shares) {
        expect(Number(share.total)).toBeGreaterThan(0);
        expect(Number(share.headers) + Number(share.framing) + Number(share.payload)).toBe(Number(share.total));
      }
      // The last block carries the message: its payload is the message JSON's bytes.
      const last = panel.locator("figure:has(.share)").last();
      const text = (await last.locator("pre").textContent()) ?? "";
      // A message is a flat JSON object: no braces inside it.
      const json = /\{"id":\d+,[^{}]*"text":"how many bytes is this\?"[^{}]*\}/.exec(text)?.[0];
      expect(json, `${label}: the message in the last block`).toBeDefined();
      expect(Number(await last.locator(".share").getAttribute("data-payload"))).toBe(Buffer.byteLength(json ?? ""));
    }
    await screenshot(page, "wire-shares-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe("a committed report page", () => {
  it("logs no console error or warning (no favicon request, no origin-keying request it cannot honour)", async () => {
    const run = readdirSync(RESULTS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .reverse()
      // The newest report with charts (a failover run's report has tables only).
      .find((name) => readdirSync(`${RESULTS}${name}`).includes("report.html") && readFileSync(`${RESULTS}${name}/report.html`, "utf8").includes("<canvas"));
    if (run === undefined) return;
    const context = await lab.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const logged: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") logged.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => logged.push(error.message));
    page.on("requestfailed", (request) => logged.push(`failed: ${request.url()}`));
    await page.goto(`${lab.server.url}/results/${run}/report.html`, { waitUntil: "load" });
    await expect.poll(() => page.locator("canvas").count()).toBeGreaterThan(0);
    // chart.js has drawn every canvas once the page settled.
    await page.waitForLoadState("networkidle");
    expect(logged).toEqual([]);
    await screenshot(page, "report-1280");
    await context.close();
  });
});
