import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseTransport, openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

interface Point {
  x: number;
  y: number | null;
}

/** The per-second chart's points for one transport, as last plotted. */
async function plotted(page: Page, transport: string): Promise<Point[]> {
  const series = await page.getByRole("img", { name: /bytes per second/ }).getAttribute("data-series");
  return series === null ? [] : ((JSON.parse(series) as Record<string, Point[]>)[transport] ?? []);
}

/** This tab's `client` id, from the stats requests the cost view makes with it. */
async function tabClientId(page: Page): Promise<string> {
  let id: string | undefined;
  await expect
    .poll(
      async () => {
        id = await page.evaluate(() =>
          performance
            .getEntriesByType("resource")
            .map((e) => /\/api\/stats\?client=([\w-]+)/.exec(e.name)?.[1])
            .find((found) => found !== undefined),
        );
        return id;
      },
      { timeout: 10_000 },
    )
    .toBeDefined();
  return id ?? "";
}

/** Make the page believe its tab is hidden (or visible again), as a switch to another browser tab does. */
async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hide) => {
    if (hide) {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    } else {
      // The own properties shadowed Document.prototype's getters: removing them restores the real ones.
      Reflect.deleteProperty(document, "visibilityState");
      Reflect.deleteProperty(document, "hidden");
    }
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

describe("cost view", () => {
  it("counts bytes up and down per message, shows their total, and stacks both in the chart", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "Polling");
    await sendChat(page, "what does polling cost, both ways?");
    await expect.poll(() => page.locator("[role=log] li[data-id]").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole("tab", { name: "Cost" }).click();
    const table = page.getByRole("table", { name: "Cost per transport" });
    await expect
      .poll(async () => Number(await table.locator('tr[data-transport="poll"] [data-col=delivered]').textContent()), { timeout: 10_000 })
      .toBeGreaterThan(0);

    // Table and chart are redrawn every second: read both from the same moment.
    const shown = await page.evaluate(() => {
      const cells = Object.fromEntries(
        [...document.querySelectorAll<HTMLElement>('table[aria-label="Cost per transport"] tr[data-transport="poll"] td')].map((td) => [
          td.dataset.col,
          { text: td.textContent, bytes: Number(td.dataset.bytes) },
        ]),
      );
      const bars = JSON.parse(document.querySelector<HTMLElement>('canvas[aria-label^="Chart: bytes per delivered message"]')?.dataset.series ?? "{}") as {
        up?: number[];
        down?: number[];
      };
      return { cells, bars };
    });
    const cell = (col: string): { text: string | null; bytes: number } => shown.cells[col] ?? { text: null, bytes: Number.NaN };
    const delivered = Number(cell("delivered").text);
    const up = cell("up-per-message").bytes;
    const down = cell("down-per-message").bytes;
    // A poll's request line and headers go up on every request: that is most of what polling costs.
    expect(up).toBeGreaterThan(100);
    expect(down).toBeGreaterThan(0);
    expect(up).toBeCloseTo(cell("bytes-up").bytes / delivered, 6);
    expect(down).toBeCloseTo(cell("bytes-down").bytes / delivered, 6);
    expect(cell("per-message").bytes).toBeCloseTo(up + down, 6);
    expect(cell("per-message").text).toBe(`${Math.round(up + down)} B`);
    // Polling is the chart's first bar: up and down stacked, each its measured share.
    expect(shown.bars.up?.[0]).toBe(Math.round(up));
    expect(shown.bars.down?.[0]).toBe(Math.round(down));
    await screenshot(page, "cost-up-down-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("plots real time: a hidden tab leaves a gap as long as it was hidden, not one tall second of its bytes", async () => {
    const { page, errors } = await openDashboard(lab, "cost");
    const clientId = await tabClientId(page);
    await expect.poll(async () => (await plotted(page, "poll")).filter((p) => p.y !== null).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const statsRequests: number[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/stats")) statsRequests.push(Date.now());
    });

    await setTabHidden(page, true);
    const hiddenAt = Date.now();
    // While the tab is hidden, this tab's client id keeps costing bytes (here: polls the test makes
    // in its name), for longer than the chart's gap threshold.
    let polls = 0;
    while (Date.now() - hiddenAt < 4_000) {
      const response = await fetch(`${lab.server.url}/api/poll?client=${clientId}`);
      await response.arrayBuffer();
      polls++;
    }
    const shownAt = Date.now();
    await setTabHidden(page, false);

    await expect
      .poll(
        async () => {
          const points = await plotted(page, "poll");
          const gap = points.findIndex((p) => p.y === null);
          return gap === -1 ? 0 : points.slice(gap + 1).length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(2);
    // Hidden means not sampling: the cost view added nothing to the cost meanwhile.
    expect(statsRequests.filter((at) => at > hiddenAt + 200 && at < shownAt)).toEqual([]);

    const points = await plotted(page, "poll");
    const gap = points.findIndex((p) => p.y === null);
    const before = points[gap - 1];
    const after = points[gap + 1];
    if (before === undefined || after === undefined) throw new Error(`no points around the gap: ${JSON.stringify(points)}`);
    // x is real time: the line breaks across the whole hidden stretch.
    expect(after.x - before.x).toBeGreaterThanOrEqual(shownAt - hiddenAt);
    // The polls made while hidden are in the totals...
    const row = page.getByRole("table", { name: "Cost per transport" }).locator('tr[data-transport="poll"]');
    expect(
      Number(
        await row
          .locator("[data-col=requests]")
          .textContent()
          .then((t) => t?.split(" / ")[0]),
      ),
    ).toBeGreaterThanOrEqual(polls);
    // ...and in no second of the chart: nothing polled in this tab's name before or after the gap.
    expect(points.filter((p) => p.y !== null && p.y > 0)).toEqual([]);
    await screenshot(page, "cost-after-hidden-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("samples at a steady rate again after the gap, computed over the real elapsed time", async () => {
    const { page, errors } = await openDashboard(lab);
    await chooseTransport(page, "Polling");
    const field = page.getByRole("spinbutton", { name: "Polling interval (ms)" });
    await field.fill("100");
    await field.blur();
    await page.getByRole("tab", { name: "Cost" }).click();
    const rates = async (): Promise<number[]> => (await plotted(page, "poll")).flatMap((p) => (p.y === null ? [] : [p.y]));
    await expect.poll(async () => (await rates()).filter((y) => y > 0).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const steady = Math.max(...(await rates()));

    await setTabHidden(page, true);
    // The chat keeps polling every 100 ms while the tab is hidden: wait for 30 of its polls.
    const pollsBefore = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/poll?")).length);
    await expect
      .poll(() => page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/poll?")).length), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(pollsBefore + 30);
    await setTabHidden(page, false);

    await expect
      .poll(
        async () => {
          const points = await plotted(page, "poll");
          const gap = points.findIndex((p) => p.y === null);
          return gap === -1 ? 0 : points.slice(gap + 1).length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(3);
    const points = await plotted(page, "poll");
    const afterGap = points.slice(points.findIndex((p) => p.y === null) + 1).map((p) => p.y ?? 0);
    // Some 3 s of polling fell in the gap; drawn as one second it would be about three times the steady rate.
    expect(Math.max(...afterGap)).toBeLessThan(steady * 2);
    expect(Math.min(...afterGap)).toBeGreaterThan(0);
    await screenshot(page, "cost-steady-after-gap-1280");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
