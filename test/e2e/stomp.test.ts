import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatRows, counter, openDashboard, publish, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

const STOMP_WS = "STOMP over WebSocket";
const STOMP_SOCKJS = "STOMP over SockJS";
const SOCKJS_CHOICES = ["websocket", "xhr-streaming", "xhr-polling", "eventsource"] as const;

/** Pick a transport by its radio's name (and for SockJS, its sub-transport first) and wait until it is open. */
async function choose(page: Page, name: string, sockjs?: (typeof SOCKJS_CHOICES)[number]): Promise<void> {
  if (sockjs !== undefined) await page.getByRole("combobox", { name: "SockJS transport" }).selectOption(sockjs);
  await page.getByRole("radiogroup", { name: "Transport" }).getByRole("radio", { name, exact: true }).check();
  await expect.poll(() => page.locator("#chat-state").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
}

async function stats(client?: string): Promise<{
  transports: Record<string, { requests: number; delivered: number; bytesIn: number; open: number }>;
  client?: { transports: Record<string, { requests: number; delivered: number; bytesIn: number }> };
  connections: { sockjs?: Record<string, { open: number; opened: number }> };
}> {
  const response = await fetch(`${lab.server.url}/api/stats${client === undefined ? "" : `?client=${client}`}`);
  return (await response.json()) as Awaited<ReturnType<typeof stats>>;
}

describe("STOMP in the dashboard", () => {
  it("chats over STOMP over WebSocket and over SockJS on each sub-transport, sending with SEND", async () => {
    const { page, errors } = await openDashboard(lab);
    const cases: [string, (typeof SOCKJS_CHOICES)[number] | undefined][] = [
      [STOMP_WS, undefined],
      ...SOCKJS_CHOICES.map((c) => [STOMP_SOCKJS, c] as [string, typeof c]),
    ];
    for (const [name, sockjs] of cases) {
      const before = await stats();
      await choose(page, name, sockjs);
      expect(await page.locator("#chat-state").textContent()).toContain(sockjs === undefined ? name : `${name} (${sockjs})`);
      const text = `hello over ${name} ${sockjs ?? ""} ${Math.random().toString(36).slice(2, 8)}`;
      await sendChat(page, text);
      const row = page.getByRole("log", { name: "Messages" }).locator("li", { hasText: text });
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
      // `from: text (HH:mm)`, then the transport that delivered it (with its SockJS sub-transport).
      expect(await row.textContent()).toMatch(/^guest-\d+: .+ \(\d\d:\d\d\) STOMP over .+$/);
      expect(await row.locator(".via").textContent()).toBe(sockjs === undefined ? name : `${name} (${sockjs})`);
      // The message went up as a STOMP SEND on the same connection, not as an HTTP publish.
      const after = await stats();
      const key = sockjs === undefined ? "stomp-ws" : "stomp-sockjs";
      expect(after.transports.publish?.requests).toBe(before.transports.publish?.requests);
      expect(after.transports[key]?.delivered).toBeGreaterThan(before.transports[key]?.delivered ?? 0);
      if (sockjs !== undefined) expect(after.connections.sockjs?.[sockjs]?.opened).toBeGreaterThan(before.connections.sockjs?.[sockjs]?.opened ?? 0);
    }
    await screenshot(page, "stomp-chat-1280");

    // The cost view has both STOMP rows, measured by the server for this tab, with live latencies.
    await page.getByRole("tab", { name: "Cost" }).click();
    const table = page.getByRole("table", { name: "Cost per transport" });
    for (const key of ["stomp-ws", "stomp-sockjs"]) {
      const row = table.locator(`tr[data-transport="${key}"]`);
      await expect.poll(async () => Number(await row.locator("[data-col=bytes-down]").getAttribute("data-bytes")), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(Number(await row.locator("[data-col=delivered]").textContent())).toBeGreaterThan(0);
      expect(await row.locator("[data-col=per-message]").textContent()).toMatch(/^\d+ B$/);
      expect(await row.locator("[data-col=p50]").textContent()).toMatch(/^\d+ ms$/);
    }
    const bars = JSON.parse((await page.locator('canvas[aria-label^="Chart: bytes per delivered message"]').getAttribute("data-series")) ?? "{}") as {
      down?: number[];
    };
    expect(bars.down).toHaveLength(7);
    expect(bars.down?.[5]).toBeGreaterThan(0);
    expect(bars.down?.[6]).toBeGreaterThan(0);
    await screenshot(page, "stomp-cost-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    // chart.js follows a resize on its next frame.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, "stomp-cost-390");
    await page.getByRole("tab", { name: "Chat", exact: true }).click();
    await screenshot(page, "stomp-chat-390");
    expect(await counter(page, "duplicates")).toBe(0);
    expect(await counter(page, "gaps")).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("switches live between STOMP and the other transports while another client publishes: each message once, in order", async () => {
    const { page, errors } = await openDashboard(lab);
    await page.getByRole("spinbutton", { name: "Polling interval (ms)" }).fill("200");
    await page.getByRole("spinbutton", { name: "Polling interval (ms)" }).press("Tab");
    await choose(page, STOMP_WS);

    const published: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        const text = `stomp flow ${i}`;
        await publish(lab.server.url, "publisher", text);
        published.push(text);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    const order: [string, (typeof SOCKJS_CHOICES)[number] | undefined][] = [
      [STOMP_SOCKJS, "xhr-streaming"],
      ["WebSocket", undefined],
      [STOMP_WS, undefined],
      ["SSE", undefined],
      [STOMP_SOCKJS, "xhr-polling"],
      ["Long polling", undefined],
      [STOMP_SOCKJS, "websocket"],
      ["Polling", undefined],
      [STOMP_SOCKJS, "eventsource"],
      [STOMP_WS, undefined],
    ];
    for (const [name, sockjs] of [...order, ...order]) {
      await choose(page, name, sockjs);
      await page.waitForTimeout(120);
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
    expect(await counter(page, "duplicates")).toBe(0);
    expect(await counter(page, "gaps")).toBe(0);
    // Each switch closed the old connection: only the last one, STOMP over WebSocket, is left open.
    // SockJS ends a session whose client has gone after its disconnect_delay (5 s: the client of an
    // xhr transport may just be between two requests), so its count may lag that long.
    await expect
      .poll(
        async () => {
          const now = await stats();
          const sockjsOpen = Object.values(now.connections.sockjs ?? {}).reduce((sum, sub) => sum + sub.open, 0);
          return { sockjsOpen, stompWs: now.transports["stomp-ws"]?.open, ws: now.transports.ws?.open, sse: now.transports.sse?.open };
        },
        { timeout: 15_000 },
      )
      .toEqual({ sockjsOpen: 0, stompWs: 1, ws: 0, sse: 0 });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("races STOMP over WebSocket and over SockJS beside the five", async () => {
    const { page, errors } = await openDashboard(lab, "race");
    const states = page.getByRole("list", { name: "Race transports" });
    for (const transport of ["poll", "long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"]) {
      await expect.poll(() => states.locator(`[data-transport=${transport}] .state`).getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
    }
    expect(await states.locator("[data-transport=stomp-sockjs] .name").textContent()).toBe("STOMP over SockJS (websocket)");
    await page.getByRole("button", { name: "Send a race message" }).click();
    const row = page.locator(".race-table tbody tr").first();
    for (const transport of ["stomp-ws", "stomp-sockjs", "ws", "sse"]) {
      await expect.poll(() => row.locator(`td[data-transport=${transport}]`).textContent(), { timeout: 10_000 }).toMatch(/^\d+ ms/);
    }
    await screenshot(page, "stomp-race-1280");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "stomp-race-390");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
