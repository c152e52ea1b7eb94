import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ tls: true });
});
afterAll(async () => {
  await lab?.close();
});

describe("STOMP on the TLS port (HTTP/2 page)", () => {
  it("chats over STOMP over wss:, and marks STOMP over SockJS (HTTP/1.1 only) unavailable instead of retrying it", async () => {
    const { page, errors } = await openDashboard(lab, "chat", 1280, { secure: true });
    const switcher = page.getByRole("radiogroup", { name: "Transport" });
    await switcher.getByRole("radio", { name: "STOMP over WebSocket", exact: true }).check();
    await expect.poll(() => page.locator("#chat-state").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
    await sendChat(page, "stomp over wss");
    await expect.poll(() => page.locator("[role=log] li[data-id] .text").allTextContents(), { timeout: 10_000 }).toContain("stomp over wss");
    expect(await switcher.locator('[data-http-version="stomp-ws"]').textContent()).toBe("HTTP/1.1 (upgrade)");

    const sockjs = switcher.getByRole("radio", { name: "STOMP over SockJS", exact: true });
    expect(await sockjs.isDisabled()).toBe(true);
    expect(await switcher.locator('[data-http-version="stomp-sockjs"]').textContent()).toBe("HTTP/1.1 only");
    await screenshot(page, "stomp-tls-chat-1280");

    await page.getByRole("tab", { name: "Spring page" }).click();
    const spring = page.getByRole("tabpanel", { name: "Spring page" });
    expect(await spring.getByRole("button", { name: "Connect", exact: true }).isDisabled()).toBe(true);
    expect(await spring.getByRole("status").textContent()).toContain("HTTP/1.1 only");

    await page.getByRole("tab", { name: "Race" }).click();
    const states = page.getByRole("list", { name: "Race transports" });
    await expect.poll(() => states.locator('[data-state="open"]').count(), { timeout: 15_000 }).toBe(6);
    expect(await states.locator("[data-transport=stomp-sockjs] .state").getAttribute("data-state")).toBe("closed");
    // Nothing was asked of /chat from this page: no 426 in the console, no request counted.
    const stats = (await (await fetch(`${lab.server.url}/api/stats`)).json()) as { transports: Record<string, { requests: number }> };
    expect(stats.transports["stomp-sockjs"]?.requests).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
