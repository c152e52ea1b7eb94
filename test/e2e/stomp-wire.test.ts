import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDashboard, publish, screenshot, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

describe("Under the hood for STOMP", () => {
  it("shows the CONNECT/CONNECTED exchange and a MESSAGE byte for byte, over WebSocket and over SockJS", async () => {
    await publish(lab.server.url, "wire", "stomp on the wire");
    const { page, errors } = await openDashboard(lab, "wire");
    const panel = page.getByRole("tabpanel", { name: "Under the hood" });
    const picker = panel.getByRole("combobox", { name: "Transport" });

    await picker.selectOption({ label: "STOMP over WebSocket" });
    await expect.poll(async () => (await panel.locator("h2").textContent()) ?? "", { timeout: 10_000 }).toBe("STOMP over WebSocket");
    await expect.poll(() => panel.locator("figure[data-from]").count(), { timeout: 10_000 }).toBe(4);
    const text = (await panel.textContent()) ?? "";
    expect(text).toContain("Sec-WebSocket-Protocol: v12.stomp");
    expect(text).toContain("✓ matches");
    const frames = await panel.locator("figure[data-from] pre").allTextContents();
    // Each line end is written out (\n) and then breaks the line; the NUL is shown as \0.
    expect(frames[0]).toBe("CONNECT\\n\naccept-version:1.2\\n\nheart-beat:10000,10000\\n\n\\n\n\\0");
    expect(frames[1]).toMatch(/^CONNECTED\\n\nversion:1\.2\\n\nheart-beat:15000,15000\\n\n/);
    expect(frames[3]).toMatch(/^MESSAGE\\n\ndestination:\/topic\/messages\\n\nsubscription:sub-0\\n\nmessage-id:\d+\\n\n/);
    expect(frames[3]).toMatch(/\{"id":\d+,"from":"wire","text":"stomp on the wire","time":\d+\}\\0$/);
    await screenshot(page, "wire-stomp-ws-1280");

    await picker.selectOption({ label: "STOMP over SockJS" });
    await expect.poll(async () => (await panel.locator("h2").textContent()) ?? "", { timeout: 10_000 }).toBe("STOMP over SockJS");
    await expect.poll(() => panel.locator("figure[data-from]").count(), { timeout: 10_000 }).toBe(5);
    const sockjs = await panel.locator("figure[data-from] pre").allTextContents();
    expect(sockjs[0]).toBe("o");
    expect(sockjs[2]).toMatch(/^a\["CONNECTED\\nversion:1\.2/);
    expect(sockjs[4]).toMatch(/^a\["MESSAGE\\n.*stomp on the wire.*\\u0000"\]$/);
    expect(await panel.getByRole("list", { name: "What each part means" }).textContent()).toContain("SockJS quotes every STOMP frame");
    await screenshot(page, "wire-stomp-sockjs-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "wire-stomp-sockjs-390");

    // The captures are the server's own traffic: they count nowhere.
    const stats = (await (await fetch(`${lab.server.url}/api/stats`)).json()) as { transports: Record<string, { requests: number }> };
    expect(stats.transports["stomp-ws"]?.requests).toBe(0);
    expect(stats.transports["stomp-sockjs"]?.requests).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
