import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDashboard, publish, screenshot, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

describe("Spring chat page", () => {
  it("connects over STOMP over SockJS, sends, shows `from: text (HH:mm)`, and disconnects", async () => {
    const { page, errors, dialogs } = await openDashboard(lab, "spring");
    const panel = page.getByRole("tabpanel", { name: "Spring page" });
    const conversation = panel.getByRole("log", { name: "Conversation" });
    const connect = panel.getByRole("button", { name: "Connect", exact: true });
    const disconnect = panel.getByRole("button", { name: "Disconnect" });
    expect(await disconnect.isDisabled()).toBe(true);
    expect(await conversation.isVisible()).toBe(false);

    await panel.getByRole("textbox", { name: "Nickname" }).fill("alice");
    await connect.click();
    await expect.poll(() => disconnect.isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(await connect.isDisabled()).toBe(true);
    expect(await conversation.isVisible()).toBe(true);
    const before = await (await fetch(`${lab.server.url}/api/stats`)).json();

    const box = panel.getByRole("textbox", { name: "Message" });
    await box.fill("hello <b>spring</b>");
    await panel.getByRole("button", { name: "Send" }).click();
    const mine = conversation.locator("p", { hasText: "hello <b>spring</b>" });
    await expect.poll(() => mine.count(), { timeout: 10_000 }).toBe(1);
    expect(await mine.textContent()).toMatch(/^alice: hello <b>spring<\/b> \(\d\d:\d\d\)$/);
    expect(await conversation.locator("b").count()).toBe(0);
    // Others' messages arrive too, whoever published them.
    await publish(lab.server.url, "bob", "hi alice");
    await expect.poll(() => conversation.locator("p", { hasText: /^bob: hi alice \(\d\d:\d\d\)$/ }).count(), { timeout: 10_000 }).toBe(1);

    // It went over SockJS (sockjs-client chose its websocket transport) as a STOMP SEND, not an HTTP publish.
    const after = await (await fetch(`${lab.server.url}/api/stats`)).json();
    expect(after.transports.publish.requests).toBe(before.transports.publish.requests + 1);
    expect(after.transports["stomp-sockjs"].bytesIn).toBeGreaterThan(before.transports["stomp-sockjs"].bytesIn);
    expect(after.connections.sockjs.websocket.open).toBe(1);
    await screenshot(page, "spring-chat-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, "spring-chat-390");

    await disconnect.click();
    expect(await connect.isEnabled()).toBe(true);
    expect(await conversation.isVisible()).toBe(false);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${lab.server.url}/api/stats`)).json()) as { connections: { sockjs: { websocket: { open: number } } } }).connections.sockjs
            .websocket.open,
        {
          timeout: 10_000,
        },
      )
      .toBe(0);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });
});
