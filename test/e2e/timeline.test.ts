import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Metered, TransportCounters } from "../../protocol/types.js";
import { chooseTransport, openDashboard, publish, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

/** By its label, not its role: the tests also read it while the chat's panel is hidden. */
const strip = (page: Page) => page.locator('[role=region][aria-label="Live cost"]');

/** A figure of the cost strip's current line (data-cost) or its previous one (data-cost-before), as a number. */
async function figure(page: Page, name: string, line: "cost" | "cost-before" = "cost"): Promise<number> {
  const value = await strip(page).locator(`[data-${line}="${name}"]`).getAttribute("data-value");
  return value === null ? Number.NaN : Number(value);
}

/** The server's counters for the page's own client id (named on the strip). */
async function serverCounters(page: Page, transport: Metered): Promise<TransportCounters> {
  const client = await strip(page).getAttribute("data-client");
  const stats = (await (await fetch(`${lab.server.url}/api/stats?client=${client}`)).json()) as { client: { transports: Record<Metered, TransportCounters> } };
  return stats.client.transports[transport];
}

const timelineRows = (page: Page, transport: string) => page.getByRole("table", { name: /timeline/i }).locator(`tbody tr[data-transport="${transport}"]`);

describe("chat: live cost strip and transport marks", () => {
  it("counts the active transport's requests and bytes as the server does, keeps the previous one's, and marks lines and switches", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "SSE");
    expect(await page.getByRole("region", { name: "Live cost" }).count()).toBe(1);
    await expect.poll(() => strip(page).locator(".cost-before .cost-title").textContent()).toContain("WebSocket");
    await expect.poll(() => figure(page, "requests"), { timeout: 5_000 }).toBe(1);

    const downs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const text = `costed ${i} ${Math.random().toString(36).slice(2, 7)}`;
      await sendChat(page, text);
      await expect.poll(() => page.getByRole("log", { name: "Messages" }).locator("li", { hasText: text }).count(), { timeout: 10_000 }).toBe(1);
      // The strip has caught up with the server once it counts what the server counted before.
      const server = await serverCounters(page, "sse");
      await expect.poll(() => figure(page, "down"), { timeout: 5_000 }).toBeGreaterThanOrEqual(server.bytesOut);
      downs.push(await figure(page, "down"));
    }
    expect(downs[1]).toBeGreaterThan(downs[0] ?? Number.POSITIVE_INFINITY);
    expect(downs[2]).toBeGreaterThan(downs[1] ?? Number.POSITIVE_INFINITY);
    // Nothing else happens on SSE now: strip and server agree exactly (SSE was not used before: its base is 0).
    const server = await serverCounters(page, "sse");
    await expect.poll(() => figure(page, "down"), { timeout: 5_000 }).toBe(server.bytesOut);
    expect(await figure(page, "up")).toBe(server.bytesIn);
    expect(await figure(page, "requests")).toBe(server.requests);
    expect(await figure(page, "connections")).toBe(server.connections);
    expect(await figure(page, "perMessage")).toBeCloseTo((server.bytesIn + server.bytesOut) / server.delivered, 3);
    expect(await figure(page, "latency")).toBeGreaterThanOrEqual(0);

    // Every line says which transport delivered it, in words; every switch leaves a divider.
    const via = await page.locator("[role=log] li[data-id] .via").allTextContents();
    expect(via.at(-1)).toBe("SSE");
    const dividers = await page.locator("[role=log] li.switch-mark").allTextContents();
    expect(dividers.at(-1)).toMatch(/^Switched to SSE at \d\d:\d\d:\d\d, resumed (after #\d+|from the recent history)$/);

    // Polling: requests rise with no message at all; the strip stays within one refresh of the server.
    await chooseTransport(page, "Polling");
    await expect.poll(() => strip(page).locator(".cost-before .cost-title").textContent(), { timeout: 5_000 }).toContain("SSE");
    await expect.poll(() => figure(page, "requests"), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const before = await serverCounters(page, "poll");
    await expect.poll(() => figure(page, "requests"), { timeout: 5_000 }).toBeGreaterThanOrEqual(before.requests);
    const shown = { requests: await figure(page, "requests"), up: await figure(page, "up") };
    const after = await serverCounters(page, "poll");
    expect(shown.requests).toBeLessThanOrEqual(after.requests);
    expect(shown.up).toBeGreaterThanOrEqual(before.bytesIn);
    expect(shown.up).toBeLessThanOrEqual(after.bytesIn);
    // The previous transport's figures stay, final.
    expect(await figure(page, "requests", "cost-before")).toBe(1);
    expect((await page.locator("[role=log] li.switch-mark").allTextContents()).at(-1)).toMatch(/^Switched to Polling at /);
    await screenshot(page, "chat-cost-strip-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe("network timeline", () => {
  it("shows one row per poll for polling", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "Polling");
    await page.getByRole("tab", { name: "Timeline" }).click();
    await expect.poll(() => timelineRows(page, "poll").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const before = await serverCounters(page, "poll");
    await expect.poll(() => timelineRows(page, "poll").count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(before.requests);
    const rows = await timelineRows(page, "poll").count();
    expect(rows).toBeLessThanOrEqual((await serverCounters(page, "poll")).requests);
    // Each is a request answered at once: a status, a wait, no frames of a held connection.
    const ended = timelineRows(page, "poll").and(page.locator('[data-state="ended"]'));
    const statuses = await ended.locator('td[data-col="status"]').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["200"]));
    expect(new Set(await ended.evaluateAll((list) => list.map((row) => (row as HTMLElement).dataset.frames)))).toEqual(new Set(["0"]));
    await screenshot(page, "timeline-poll-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows SSE as one long-lived row with a tick per message", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "SSE");
    await page.getByRole("tab", { name: "Timeline" }).click();
    const sse = timelineRows(page, "sse").and(page.locator('[data-state="open"]'));
    await expect.poll(() => sse.count(), { timeout: 10_000 }).toBe(1);
    const messages = async (): Promise<number> => Number(await sse.getAttribute("data-messages"));
    const frames = async (): Promise<number> => Number(await sse.getAttribute("data-frames"));
    const [m0, f0] = [await messages(), await frames()];
    for (let i = 0; i < 3; i++) await publish(lab.server.url, "timeline", `tick ${i}`);
    await expect.poll(messages, { timeout: 10_000 }).toBe(m0 + 3);
    expect(await frames()).toBeGreaterThanOrEqual(f0 + 3);
    expect(await sse.locator(".tl-summary").textContent()).toMatch(/\d+ messages/);
    expect(await sse.locator('td[data-col="status"]').textContent()).toBe("200");

    // A burst: still one row, and its lane draws a bounded number of marks however many frames.
    for (let i = 0; i < 60; i++) await publish(lab.server.url, "timeline", `burst ${i}`);
    await expect.poll(messages, { timeout: 15_000 }).toBe(m0 + 63);
    expect(await sse.count()).toBe(1);
    expect(await sse.locator(".tick").count()).toBeLessThanOrEqual(300);
    await screenshot(page, "timeline-sse-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
