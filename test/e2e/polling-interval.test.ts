import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseTransport, openDashboard, screenshot, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

/** Start times (page clock, ms) of the short polls made after `since`, from the browser's own resource timing. */
function pollStarts(page: Page, since: number): Promise<number[]> {
  return page.evaluate(
    (after) =>
      performance
        .getEntriesByType("resource")
        .filter((e) => e.name.includes("/api/poll?") && e.startTime > after)
        .map((e) => e.startTime)
        .sort((a, b) => a - b),
    since,
  );
}

/** Wait for `count` polls after now, then return the time between consecutive ones. */
async function pollGaps(page: Page, count: number): Promise<number[]> {
  const since = await page.evaluate(() => performance.now());
  await expect.poll(async () => (await pollStarts(page, since)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);
  const starts = await pollStarts(page, since);
  return starts.slice(1).map((at, i) => at - (starts[i] ?? at));
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe("polling interval", () => {
  for (const width of [1280, 390]) {
    it(`refuses values outside the field's own bounds, says why, and keeps polling at the interval in effect (${width} px)`, async () => {
      const { page, errors } = await openDashboard(lab, "chat", width);
      await page.evaluate(() => performance.setResourceTimingBufferSize(10_000));
      await chooseTransport(page, "Polling");
      const field = page.getByRole("spinbutton", { name: "Polling interval (ms)" });
      const note = page.locator("#interval-note");
      await field.fill("300");
      await field.blur();
      await expect.poll(() => note.textContent(), { timeout: 5_000 }).toBe("Interval set to 300 ms.");
      expect(await field.getAttribute("aria-invalid")).toBe("false");

      const refused: [string, string][] = [
        ["-5", "below the minimum of 100 ms"],
        ["0", "below the minimum of 100 ms"],
        ["60100", "above the maximum of 60,000 ms"],
        ["250", "not a multiple of 100 ms"],
        ["", "not a number"],
        ["1", "below the minimum of 100 ms"],
      ];
      for (const [value, reason] of refused) {
        await field.fill(value);
        await field.blur();
        await expect.poll(() => note.textContent(), { timeout: 5_000 }).toContain(reason);
        expect(await note.textContent()).toContain("Keeping 300 ms.");
        expect(await note.isVisible()).toBe(true);
        expect(await field.getAttribute("aria-invalid")).toBe("true");
        // What the chat refuses is exactly what the field itself marks invalid.
        expect(await field.evaluate((input) => (input as HTMLInputElement).validity.valid)).toBe(false);
      }
      await screenshot(page, `interval-refused-${width}`);

      // "1" is still in the field, but polls keep coming every 300 ms (1 ms would be hundreds a second, 0 used to mean 1,000).
      const gaps = await pollGaps(page, 6);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(295);
      expect(median(gaps)).toBeLessThan(900);

      // A switch away and back starts a new poller: it uses the interval in effect, not the refused text.
      await chooseTransport(page, "SSE");
      await chooseTransport(page, "Polling");
      expect(Math.min(...(await pollGaps(page, 4)))).toBeGreaterThanOrEqual(295);

      await field.fill("600");
      await field.blur();
      await expect.poll(() => note.textContent(), { timeout: 5_000 }).toBe("Interval set to 600 ms.");
      expect(await field.getAttribute("aria-invalid")).toBe("false");
      expect(Math.min(...(await pollGaps(page, 4)).slice(1))).toBeGreaterThanOrEqual(595);

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }
});
