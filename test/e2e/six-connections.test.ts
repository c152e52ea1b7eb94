import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { chooseTransport, openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ tls: true });
});
afterAll(async () => {
  await lab?.close();
});

/** SSE responses the server holds now, every client's (the test's browser is the only one). */
async function heldSse(): Promise<number> {
  const stats = (await (await fetch(`${lab.server.url}/api/stats`)).json()) as StatsResponse;
  return stats.transports.sse.open;
}

async function subscriptions(page: Page): Promise<{ open: number; waiting: number; received: number; receivedWhileWaiting: number }> {
  const rows = page.getByRole("list", { name: "Subscriptions" }).locator("li");
  return {
    open: await rows.and(page.locator('[data-state="open"]')).count(),
    waiting: await rows.and(page.locator('[data-state="waiting"]')).count(),
    received: await rows.and(page.locator('[data-received="true"]')).count(),
    receivedWhileWaiting: await rows.and(page.locator('[data-state="waiting"][data-received="true"]')).count(),
  };
}

async function openExperiment(page: Page): Promise<ReturnType<Page["getByRole"]>> {
  const view = page.getByRole("tabpanel", { name: /six connections/i });
  expect(await view.getByRole("spinbutton", { name: /Subscriptions/ }).inputValue()).toBe("8");
  await view.getByRole("combobox", { name: "Subscribe with" }).selectOption({ label: "SSE" });
  await view.getByRole("button", { name: "Open subscriptions" }).click();
  return view;
}

describe("six connections", () => {
  it("over HTTP/1.1 six of eight SSE subscriptions open and receive the message; two wait; Stop closes them all and the chat resumes", async () => {
    const { page, errors } = await openDashboard(lab, "six");
    const view = await openExperiment(page);
    await expect.poll(() => subscriptions(page), { timeout: 15_000 }).toMatchObject({ open: 6, waiting: 2 });
    // The server holds exactly the six that opened: the chat's subscription is paused.
    await expect.poll(heldSse, { timeout: 10_000 }).toBe(6);
    await view.getByRole("button", { name: "Publish one message" }).click();
    await expect.poll(async () => (await subscriptions(page)).received, { timeout: 10_000 }).toBe(6);
    const after = await subscriptions(page);
    expect(after).toEqual({ open: 6, waiting: 2, received: 6, receivedWhileWaiting: 0 });
    expect(await view.locator("#six-result").textContent()).toMatch(
      /^6 of 8 SSE subscriptions are open \(6 of 8 received the message\) and 2 wait .* at most six connections/,
    );
    // The server's own counts: the six held responses, each on its own HTTP/1.1 connection, and no HTTP/2.
    const server = view.getByRole("status", { name: "Connections the server sees" });
    await expect.poll(() => server.getAttribute("data-held"), { timeout: 10_000 }).toBe("6");
    expect(Number(await server.getAttribute("data-http1-open"))).toBeGreaterThanOrEqual(6);
    expect(await server.getAttribute("data-h2-open")).toBe("0");
    await screenshot(page, "six-connections-http1-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "six-connections-http1-390");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);

    await view.getByRole("button", { name: "Stop" }).click();
    // All eight are closed, the waiting two included (the chat's own subscription is a WebSocket).
    await expect.poll(heldSse, { timeout: 10_000 }).toBe(0);
    await page.getByRole("tab", { name: "Chat" }).click();
    await expect.poll(() => page.locator("#chat-state").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("over HTTP/2 all eight SSE subscriptions open on one connection and receive the message; leaving the view closes them", async () => {
    const { page, errors } = await openDashboard(lab, "six", 1280, { secure: true });
    expect(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe("h2");
    const view = await openExperiment(page);
    await expect.poll(() => subscriptions(page), { timeout: 15_000 }).toMatchObject({ open: 8, waiting: 0 });
    await expect.poll(heldSse, { timeout: 10_000 }).toBe(8);
    await view.getByRole("button", { name: "Publish one message" }).click();
    await expect.poll(async () => (await subscriptions(page)).received, { timeout: 10_000 }).toBe(8);
    expect(await view.locator("#six-result").textContent()).toMatch(
      /^All 8 SSE subscriptions are open and 8 of 8 received the message: over HTTP\/2 each one is a stream of one shared connection/,
    );
    const server = view.getByRole("status", { name: "Connections the server sees" });
    await expect.poll(() => server.getAttribute("data-held"), { timeout: 10_000 }).toBe("8");
    // One HTTP/2 connection carries the eight streams (and the stats request that asked).
    await expect.poll(() => server.getAttribute("data-h2-streams"), { timeout: 10_000 }).toBe("9");
    expect(await server.getAttribute("data-h2-open")).toBe("1");
    await screenshot(page, "six-connections-h2-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "six-connections-h2-390");

    await page.getByRole("tab", { name: "Chat" }).click();
    // The eight are closed; the chat's own subscription (a WebSocket, not SSE) is back.
    await expect.poll(heldSse, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => page.locator("#chat-state").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("NDJSON streams hit the same limit over HTTP/1.1; a count outside 1 to 16 is refused", async () => {
    const { page, errors } = await openDashboard(lab, "six");
    const view = page.getByRole("tabpanel", { name: /six connections/i });
    const count = view.getByRole("spinbutton", { name: /Subscriptions/ });
    await count.fill("17");
    await view.getByRole("button", { name: "Open subscriptions" }).click();
    expect(await view.locator(".six-note").textContent()).toContain("Choose 1 to 16 subscriptions");
    expect(await page.getByRole("list", { name: "Subscriptions" }).locator("li").count()).toBe(0);

    await count.fill("7");
    await view.getByRole("combobox", { name: "Subscribe with" }).selectOption({ label: "NDJSON stream" });
    await view.getByRole("button", { name: "Open subscriptions" }).click();
    await expect.poll(() => subscriptions(page), { timeout: 15_000 }).toMatchObject({ open: 6, waiting: 1 });
    await view.getByRole("button", { name: "Publish one message" }).click();
    await expect.poll(async () => (await subscriptions(page)).received, { timeout: 10_000 }).toBe(6);
    expect((await subscriptions(page)).receivedWhileWaiting).toBe(0);
    expect(await view.locator("#six-result").textContent()).toMatch(/^6 of 7 NDJSON stream subscriptions are open/);
    await view.getByRole("button", { name: "Stop" }).click();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("the dashboard loads and chats on the TLS port, and shows the HTTP version each transport negotiated", async () => {
    const { page, errors } = await openDashboard(lab, "chat", 1280, { secure: true });
    const switcher = page.getByRole("radiogroup", { name: "Transport" });
    await chooseTransport(page, "WebSocket");
    await sendChat(page, "over wss");
    await expect.poll(() => page.locator("[role=log] li[data-id] .text").allTextContents(), { timeout: 10_000 }).toContain("over wss");
    expect(await switcher.locator('[data-http-version="ws"]').textContent()).toBe("HTTP/1.1 (upgrade)");

    await chooseTransport(page, "Polling");
    await sendChat(page, "over h2 polls");
    await expect.poll(() => page.locator("[role=log] li[data-id] .text").allTextContents(), { timeout: 10_000 }).toContain("over h2 polls");
    await expect.poll(() => switcher.locator('[data-http-version="poll"]').textContent(), { timeout: 10_000 }).toBe("HTTP/2");
    expect(await switcher.locator('[data-http-version="poll"]').getAttribute("data-source")).toBe("browser");

    // An SSE stream's Resource Timing entry only exists once it ends: switching away ends it.
    await chooseTransport(page, "SSE");
    await sendChat(page, "over h2 sse");
    await expect.poll(() => page.locator("[role=log] li[data-id] .text").allTextContents(), { timeout: 10_000 }).toContain("over h2 sse");
    await chooseTransport(page, "Long polling");
    await expect.poll(() => switcher.locator('[data-http-version="sse"]').textContent(), { timeout: 10_000 }).toBe("HTTP/2");
    // The label goes on to say whether the connection is compressed (compression.test.ts checks that part).
    await expect.poll(async () => ((await page.locator("#chat-http-version").textContent()) ?? "").split(",")[0], { timeout: 10_000 }).toBe("over HTTP/2");
    await screenshot(page, "chat-h2-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("on the plain port the same labels say HTTP/1.1", async () => {
    const { page, errors } = await openDashboard(lab, "chat");
    const switcher = page.getByRole("radiogroup", { name: "Transport" });
    await chooseTransport(page, "Polling");
    await expect.poll(() => switcher.locator('[data-http-version="poll"]').textContent(), { timeout: 10_000 }).toBe("HTTP/1.1");
    await page.getByRole("tab", { name: "Race" }).click();
    const states = page.getByRole("list", { name: "Race transports" });
    await expect.poll(() => states.locator('[data-state="open"]').count(), { timeout: 15_000 }).toBe(7);
    // A long poll's Resource Timing entry comes when it is answered: a message answers it.
    await page.getByRole("button", { name: "Send a race message" }).click();
    await expect.poll(() => states.locator('[data-http-version="long-poll"]').textContent(), { timeout: 15_000 }).toBe("HTTP/1.1");
    expect(await states.locator('[data-http-version="ws"]').textContent()).toBe("HTTP/1.1 (upgrade)");
    await screenshot(page, "race-versions-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
