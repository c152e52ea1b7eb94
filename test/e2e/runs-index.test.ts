import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import { renderIndex, runSummary } from "../../scripts/report/index-page.js";
import { fixture } from "../report/fixture.js";
import { screenshot, startLab, type Lab } from "./harness.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

/** Three runs as the index lists them: two chat runs on different machines (the newest first) and an idle run between them. */
function page3(): string {
  const r = fixture();
  const chatElsewhere: BenchResults = { ...r, machine: { ...r.machine, cpuModel: "Another CPU", cores: 8 } };
  const idle: BenchResults = { ...r, config: { ...r.config, scenario: "idle", rate: 0 } };
  return renderIndex([
    runSummary("2026-01-03T000000-chat", chatElsewhere),
    runSummary("2026-01-02T000000-idle", idle),
    runSummary("2026-01-01T000000-chat", r),
  ]);
}

async function open(width: number): Promise<{ page: Page; errors: string[] }> {
  const context = await lab.browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { page, errors };
}

const overflow = (page: Page): Promise<number> => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe("results/index.html", () => {
  for (const width of [1280, 390]) {
    it(`opens on runs of one scenario and settings, warns about the machines, and refuses ratios across scenarios (${width} px)`, async () => {
      const { page, errors } = await open(width);
      await page.setContent(page3());
      const verdict = page.locator("#verdict");
      // The two newest are idle and chat: the page skips that pair for the two chat runs.
      expect(await page.locator("#a").inputValue()).toBe("2026-01-01T000000-chat");
      expect(await page.locator("#b").inputValue()).toBe("2026-01-03T000000-chat");
      expect(await verdict.getAttribute("class")).toBe("warned");
      expect(await verdict.textContent()).toContain("Measured on different machines or software");
      expect(await verdict.textContent()).toContain("CPU: Test CPU ≠ Another CPU");
      expect(await verdict.textContent()).toContain("cores: 2 ≠ 8");
      expect(await page.locator("#compare thead th").allTextContents()).toEqual(["figure", "A", "B", "B / A"]);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `runs-index-${width}`);

      await page.locator("#a").selectOption("2026-01-02T000000-idle");
      expect(await verdict.getAttribute("class")).toBe("refused");
      expect(await verdict.textContent()).toContain("Not comparable: A is from the idle scenario, B from chat.");
      expect(await verdict.textContent()).toContain("scenario: idle ≠ chat");
      expect(await page.locator("#compare thead th").allTextContents()).toEqual(["figure", "A", "B"]);
      expect(await page.locator("#compare").textContent()).not.toContain("×");
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `runs-index-refused-${width}`);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it("the committed index, as the server serves it, fits 390 px and never opens on a mismatched pair", async () => {
    const { page, errors } = await open(390);
    const response = await page.goto(`${lab.server.url}/results/index.html`);
    expect(response?.status()).toBe(200);
    const verdict = page.locator("#verdict");
    await expect.poll(() => verdict.textContent(), { timeout: 5_000 }).not.toBe("");
    expect(await verdict.getAttribute("class")).not.toBe("refused");
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, "runs-index-committed-390");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
