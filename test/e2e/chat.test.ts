import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatRows, chooseTransport, counter, openDashboard, publish, screenshot, sendChat, startLab, TRANSPORT_NAMES, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

describe("chat", () => {
  it("sends and shows a message over each of the five transports", async () => {
    const { page, errors } = await openDashboard(lab);
    for (const name of TRANSPORT_NAMES) {
      await chooseTransport(page, name);
      const text = `hello over ${name} ${Math.random().toString(36).slice(2, 8)}`;
      await sendChat(page, text);
      const row = page.getByRole("log", { name: "Messages" }).locator("li", { hasText: text });
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
      // `from: text (HH:mm)` in local time, then the transport that delivered it.
      expect(await row.textContent()).toMatch(new RegExp(`^guest-\\d+: ${text} \\(\\d\\d:\\d\\d\\) ${name}$`));
    }
    await screenshot(page, "chat-1280");
    expect(await counter(page, "duplicates")).toBe(0);
    expect(await counter(page, "gaps")).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("switches transport live 20 times while another client publishes, showing each message once, in order", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "WebSocket");
    await page.getByRole("spinbutton", { name: "Polling interval (ms)" }).fill("200");
    await page.getByRole("spinbutton", { name: "Polling interval (ms)" }).press("Tab");

    const published: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        const text = `flow ${i}`;
        await publish(lab.server.url, "publisher", text);
        published.push(text);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    const order = ["Polling", "Long polling", "HTTP streaming", "SSE", "WebSocket"] as const;
    for (let i = 0; i < 20; i++) {
      await chooseTransport(page, order[i % order.length] ?? "WebSocket");
      await page.waitForTimeout(100 + (i % 3) * 60);
    }
    publishing = false;
    await publisher;
    const last = published.at(-1);
    await expect.poll(async () => (await chatRows(page)).some(([, , text]) => text === last), { timeout: 15_000 }).toBe(true);

    const rows = await chatRows(page);
    const shown = rows.filter(([, from]) => from === "publisher").map(([, , text]) => text);
    expect(published.length).toBeGreaterThan(20);
    expect(shown).toEqual(published);
    const ids = rows.map(([id]) => id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await counter(page, "switches")).toBe(20);
    expect(await counter(page, "duplicates")).toBe(0);
    expect(await counter(page, "gaps")).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("disconnects, then reconnects and catches up on what was published meanwhile", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "Long polling");
    await page.getByRole("button", { name: "Disconnect" }).click();
    await expect.poll(() => page.locator("#chat-state").getAttribute("data-state")).toBe("closed");
    await publish(lab.server.url, "publisher", "while you were away");
    await page.waitForTimeout(200);
    expect(await page.getByRole("log").getByText("while you were away").count()).toBe(0);
    await page.getByRole("button", { name: "Connect" }).click();
    await expect.poll(() => page.getByRole("log").getByText("while you were away").count(), { timeout: 10_000 }).toBe(1);
    expect(await counter(page, "duplicates")).toBe(0);
    expect(await counter(page, "gaps")).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows a message containing HTML as text and runs nothing", async () => {
    const { page, errors, dialogs } = await openDashboard(lab);
    await chooseTransport(page, "SSE");
    const payload = "<img src=x onerror=alert(1)>";
    await sendChat(page, payload);
    const log = page.getByRole("log", { name: "Messages" });
    await expect.poll(() => log.locator(".text", { hasText: payload }).count(), { timeout: 10_000 }).toBe(1);
    expect(await log.locator("img").count()).toBe(0);
    // Give an image error handler every chance to fire, had the markup been parsed.
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
