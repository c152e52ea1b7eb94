import { afterAll, describe, expect, it } from "vitest";
import { openDashboard, startLab, type Lab } from "./harness.js";

const labs: Lab[] = [];
afterAll(async () => {
  for (const lab of labs) await lab.close();
});

const LABEL = '[aria-label="Instance that served each request"]';

describe("which instance served the dashboard's requests", () => {
  it("names the instance of a server with LAB_INSTANCE, from each answer's X-Lab-Instance", async () => {
    const lab = await startLab({ config: { instance: "lab-7" } });
    labs.push(lab);
    const { page, errors } = await openDashboard(lab);
    const label = page.locator(LABEL);
    await expect.poll(async () => (await label.textContent()) ?? "", { timeout: 15_000 }).toContain("lab-7 ← /api/");
    expect(await label.isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("stays hidden for a single server without a name", async () => {
    const lab = await startLab();
    labs.push(lab);
    const { page, errors } = await openDashboard(lab);
    // Once the chat has its first stats answer, the label would have been shown if there were a header.
    await expect
      .poll(() => page.evaluate(() => performance.getEntriesByType("resource").some((e) => e.name.includes("/api/stats"))), { timeout: 15_000 })
      .toBe(true);
    expect(await page.locator(LABEL).isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
