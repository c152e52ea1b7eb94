import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link } from "../../scripts/net/link.js";
import { formatBitRate, PROFILES, type LinkProfile } from "../../scripts/net/profiles.js";
import { chatRows, chooseTransport, openDashboard, publish, screenshot, startLab, type Lab } from "./harness.js";

/** Fast enough for a test, slow enough that every request visibly crosses the link. */
const TEST_PROFILE: LinkProfile = { rttMs: 100, downBitsPerSecond: 8e6, upBitsPerSecond: 2e6 };

let lab: Lab;
let link: Link;
beforeAll(async () => {
  lab = await startLab();
  link = await lab.server.app.networkLink.open({ name: "custom", profile: TEST_PROFILE, port: 0 });
});
afterAll(async () => {
  await lab?.close();
});

/** The dashboard loaded from the link's port: every request of the page then crosses the link. */
async function openThroughLink(width: number, view = "chat"): Promise<{ page: Page; errors: string[] }> {
  const context = await lab.browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(`${link.url}/#${view}`);
  return { page, errors };
}

async function bannerText(page: Page): Promise<string> {
  const banner = page.getByRole("status", { name: "Network", exact: true });
  await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
  return (await banner.textContent()) ?? "";
}

describe("the dashboard through the network link", () => {
  it("says which link its page came through, with the profile's numbers", async () => {
    const { page, errors } = await openThroughLink(1280);
    const text = await bannerText(page);
    expect(text).toContain(
      `Network: Custom link — ${TEST_PROFILE.rttMs} ms RTT, ${formatBitRate(TEST_PROFILE.downBitsPerSecond)} down, ${formatBitRate(TEST_PROFILE.upBitsPerSecond)} up`,
    );
    expect(text).toContain("8 Mbit/s down, 2 Mbit/s up");
    expect(text).toContain(`port ${link.port}`);
    expect(await page.locator("#network").getAttribute("data-on-link")).toBe("true");
    await screenshot(page, "network-link-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("receives a published message over SSE and over polling, through the link", async () => {
    const { page, errors } = await openThroughLink(390);
    await bannerText(page);
    const bytesBefore = link.stats().down.bytesOut;
    for (const transport of ["SSE", "Polling"] as const) {
      await chooseTransport(page, transport);
      const text = `over the link by ${transport} ${Math.random().toString(36).slice(2, 8)}`;
      const id = await publish(lab.server.url, "publisher", text);
      await expect.poll(async () => (await chatRows(page)).some(([rowId, , rowText]) => rowId === id && rowText === text), { timeout: 15_000 }).toBe(true);
    }
    // The page's requests really crossed the emulator: its bytes to the page went up.
    expect(link.stats().down.bytesOut).toBeGreaterThan(bytesBefore);
    await screenshot(page, "network-link-chat-390");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("tells a page on the direct port where the link is", async () => {
    for (const width of [1280, 390]) {
      const { page, errors } = await openDashboard(lab, "chat", width);
      const text = await bannerText(page);
      expect(text).toContain("Network: direct");
      expect(text).toContain(`http://127.0.0.1:${link.port}/#race`);
      expect(await page.getByRole("link", { name: `http://127.0.0.1:${link.port}/#race` }).getAttribute("href")).toBe(`http://127.0.0.1:${link.port}/#race`);
      await screenshot(page, `network-direct-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });

  it("races the seven transports through 3G (the screenshot shows the lag; no timing is asserted)", async () => {
    await lab.server.app.networkLink.close();
    link = await lab.server.app.networkLink.open({ name: "3g", profile: PROFILES["3g"], port: 0 });
    const { page, errors } = await openThroughLink(1280, "race");
    expect(await bannerText(page)).toContain("Network: 3G — 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up");
    const states = page.getByRole("list", { name: "Race transports" });
    await expect.poll(() => states.locator("[data-state=open]").count(), { timeout: 15_000 }).toBe(7);
    const laps = 4;
    for (let i = 0; i < laps; i++) {
      await page.getByRole("button", { name: "Send a race message" }).click();
      // Spaced by more than the polling interval, so each lap is its own race.
      await page.waitForTimeout(1_300);
    }
    const rows = page.getByRole("table", { name: "Arrival delay per transport" }).locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(laps);
    // Every lap arrives over all seven transports (a cell shows "–" until it does).
    await expect.poll(() => rows.locator("td", { hasText: /^–$/ }).count(), { timeout: 15_000 }).toBe(0);
    await screenshot(page, "network-3g-race-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("hints at LAB_NETWORK_PROFILE when no link is open", async () => {
    await lab.server.app.networkLink.close();
    for (const width of [1280, 390]) {
      const { page, errors } = await openDashboard(lab, "chat", width);
      const text = await bannerText(page);
      expect(text).toContain("Network: direct");
      expect(text).toContain("LAB_NETWORK_PROFILE=3g npm start");
      await screenshot(page, `network-none-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
