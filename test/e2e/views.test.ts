import { mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseTransport, openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

const TRANSPORT_COLUMNS = ["poll", "long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"];

describe("views", () => {
  it("race: all seven transports receive the same message, each with its delay, and a winner is marked", async () => {
    const { page, errors } = await openDashboard(lab, "race");
    const states = page.getByRole("list", { name: "Race transports" });
    await expect.poll(() => states.locator('[data-state="open"]').count(), { timeout: 15_000 }).toBe(TRANSPORT_COLUMNS.length);
    await page.getByRole("button", { name: "Send a race message" }).click();
    const table = page.getByRole("table", { name: "Arrival delay per transport" });
    const row = table.locator("tbody tr").first();
    await expect
      .poll(async () => (await row.locator("td").allTextContents()).filter((t) => /\d+ ms/.test(t)).length, { timeout: 15_000 })
      .toBe(TRANSPORT_COLUMNS.length);
    for (const transport of TRANSPORT_COLUMNS) expect(await row.locator(`td[data-transport="${transport}"]`).textContent()).toMatch(/\d+ ms/);
    expect(await row.locator("td.winner").count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, "race-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("cost: the active transport shows non-zero bytes measured by the server for this tab", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "HTTP streaming");
    await sendChat(page, "what does this cost?");
    await expect.poll(() => page.locator("[role=log] li[data-id]").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole("tab", { name: "Cost" }).click();
    const row = page.getByRole("table", { name: "Cost per transport" }).locator('tr[data-transport="stream"]');
    await expect.poll(async () => Number(await row.locator("[data-col=bytes-down]").getAttribute("data-bytes")), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(Number(await row.locator("[data-col=delivered]").textContent())).toBeGreaterThan(0);
    expect(await row.locator("[data-col=per-message]").textContent()).toMatch(/^\d+ B$/);
    await screenshot(page, "cost-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("under the hood: the WebSocket upgrade shows the key, the 101 and a matching accept", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "WebSocket");
    await sendChat(page, "on the wire");
    await page.getByRole("tab", { name: "Under the hood" }).click();
    const panel = page.getByRole("tabpanel", { name: "Under the hood" });
    await expect.poll(() => panel.getByText("✓ matches").count(), { timeout: 10_000 }).toBe(1);
    expect(await panel.textContent()).toContain("101 Switching Protocols");
    expect(await panel.textContent()).toContain("Sec-WebSocket-Key");
    await screenshot(page, "wire-ws-1280");
    await panel.getByRole("combobox", { name: "Transport" }).selectOption({ label: "SSE" });
    await expect.poll(async () => (await panel.textContent()) ?? "", { timeout: 10_000 }).toContain("text/event-stream");
    expect(await panel.textContent()).toMatch(/data: \{"id":\d+/);
    await screenshot(page, "wire-sse-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("reports: lists the runs in results/ or says there are none", async () => {
    const { page, errors } = await openDashboard(lab, "reports");
    const list = page.getByRole("list", { name: "Benchmark runs" });
    await expect.poll(() => list.locator("li").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const api = (await (await fetch(`${lab.server.url}/api/reports`)).json()) as { runs: unknown[] };
    if (api.runs.length === 0) expect(await list.textContent()).toContain("No benchmark runs yet");
    else expect(await list.getByRole("link", { name: /Open report|results\.json/ }).count()).toBeGreaterThan(0);
    await screenshot(page, "reports-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("reports: opens a run's self-contained report, whose inline script runs sandboxed", async () => {
    // A run folder as the benchmark writes it; removed again whatever happens.
    const name = `2000-01-01T000000-e2e-${Math.random().toString(36).slice(2, 8)}`;
    const dir = fileURLToPath(new URL(`../../results/${name}/`, import.meta.url));
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(`${dir}results.json`, "{}");
      await writeFile(
        `${dir}report.html`,
        `<!doctype html><style>p{color:green}</style><p id="out">script did not run</p><script>document.getElementById("out").textContent = "report script ran in origin " + self.origin;</script>`,
      );
      const { page, errors } = await openDashboard(lab, "reports");
      const run = page.getByRole("list", { name: "Benchmark runs" }).locator("li", { hasText: name.slice(18) });
      await expect.poll(() => run.count(), { timeout: 10_000 }).toBe(1);
      await run.getByRole("button", { name: "View here" }).click();
      const out = page.frameLocator('iframe[title="Selected report"]').locator("#out");
      await expect.poll(() => out.textContent(), { timeout: 10_000 }).toBe("report script ran in origin null");
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is keyboard usable: arrow keys move between the view tabs and the transport radios", async () => {
    const { page, errors } = await openDashboard(lab);
    await page.getByRole("tab", { name: "Chat" }).focus();
    await page.keyboard.press("ArrowRight");
    expect(await page.getByRole("tab", { name: "Transports" }).getAttribute("aria-selected")).toBe("true");
    expect(await page.getByRole("tabpanel", { name: "Transports" }).isVisible()).toBe(true);
    await page.keyboard.press("ArrowLeft");
    await page.getByRole("radio", { name: "WebSocket", exact: true }).focus();
    await page.keyboard.press("ArrowLeft");
    expect(await page.getByRole("radio", { name: "SSE", exact: true }).isChecked()).toBe(true);
    await expect.poll(() => page.locator("#chat-state").textContent(), { timeout: 10_000 }).toBe("SSE: open");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("fits a 390 px wide phone screen without sideways scrolling", async () => {
    const { page, errors } = await openDashboard(lab, "chat", 390);
    await chooseTransport(page, "SSE");
    await sendChat(page, `a-long-unbroken-message-${"x".repeat(300)}`);
    await expect.poll(() => page.locator("[role=log] li[data-id]").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // Each view is measured once it shows what it loads: its widest content is in place by then.
    const ready: Record<string, () => Promise<unknown>> = {
      chat: async () => undefined,
      race: () =>
        expect.poll(() => page.getByRole("table", { name: "Arrival delay per transport" }).locator("tbody tr").count(), { timeout: 15_000 }).toBeGreaterThan(0),
      cost: () => expect.poll(() => page.getByRole("table", { name: "Cost per transport" }).locator("tbody tr").count(), { timeout: 10_000 }).toBe(8),
      wire: () => expect.poll(() => page.getByRole("tabpanel", { name: "Under the hood" }).locator("figure").count(), { timeout: 10_000 }).toBeGreaterThan(0),
      reports: () => expect.poll(() => page.getByRole("list", { name: "Benchmark runs" }).locator("li").count(), { timeout: 10_000 }).toBeGreaterThan(0),
    };
    for (const view of ["chat", "race", "cost", "wire", "reports"]) {
      if (view !== "chat") await page.getByRole("tab", { name: { race: "Race", cost: "Cost", wire: "Under the hood", reports: "Reports" }[view] }).click();
      if (view === "race") {
        await expect
          .poll(() => page.getByRole("list", { name: "Race transports" }).locator('[data-state="open"]').count(), { timeout: 15_000 })
          .toBe(TRANSPORT_COLUMNS.length);
        await page.getByRole("button", { name: "Send a race message" }).click();
      }
      await ready[view]?.();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `horizontal overflow in ${view}`).toBeLessThanOrEqual(0);
      await screenshot(page, `${view}-390`);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
