import type { LabConfig } from "../../server/config.js";
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../scripts/chromium.js";
import { expect } from "vitest";
import { startServer, type TestServer } from "../helpers/server.js";

export const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url);

export const TRANSPORT_NAMES = ["Polling", "Long polling", "HTTP streaming", "SSE", "WebSocket"] as const;

export interface Lab {
  server: TestServer;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The real server on a free loopback port and Debian's Chromium with a fresh temporary profile.
 * With `tls`, the server also listens on a TLS port (HTTP/2 and HTTP/1.1 by ALPN, `server.secureUrl`)
 * with the lab's self-signed development certificate, which the pages' contexts accept.
 */
export async function startLab(options: { tls?: boolean; config?: Partial<LabConfig> } = {}): Promise<Lab> {
  const server = await startServer(options.config ?? {}, { tls: options.tls === true });
  const browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** A page on the dashboard; `errors` collects page and console errors (an XSS payload or a CSP violation would show there). */
export async function openDashboard(
  lab: Lab,
  view = "chat",
  width = 1280,
  options: { secure?: boolean } = {},
): Promise<{ page: Page; errors: string[]; dialogs: string[] }> {
  const base = options.secure === true ? lab.server.secureUrl : lab.server.url;
  if (base === null) throw new Error("the lab was started without TLS: startLab({ tls: true })");
  // The development certificate is signed by nobody Chromium trusts; a person clicks through the warning once.
  const context = await lab.browser.newContext({ viewport: { width, height: 900 }, ignoreHTTPSErrors: options.secure === true });
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Console errors include Content-Security-Policy violations, which are not page errors.
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${base}/#${view}`);
  return { page, errors, dialogs };
}

export async function chooseTransport(page: Page, name: (typeof TRANSPORT_NAMES)[number]): Promise<void> {
  await page.getByRole("radiogroup", { name: "Transport" }).getByRole("radio", { name, exact: true }).check();
  await expect.poll(() => page.locator("#chat-state").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
}

export async function sendChat(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** `[id, from, text]` of every message row in the chat log, in display order. */
export async function chatRows(page: Page): Promise<[number, string, string][]> {
  return page
    .locator("[role=log] li[data-id]")
    .evaluateAll((rows) =>
      rows.map(
        (row) =>
          [Number((row as HTMLElement).dataset.id), row.querySelector(".from")?.textContent ?? "", row.querySelector(".text")?.textContent ?? ""] as [
            number,
            string,
            string,
          ],
      ),
    );
}

export async function counter(page: Page, name: string): Promise<number> {
  return Number(await page.locator(`[data-counter=${name}]`).textContent());
}

export async function publish(url: string, from: string, text: string): Promise<number> {
  const response = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from, text }),
  });
  if (response.status !== 201) throw new Error(`publish answered ${response.status}`);
  return ((await response.json()) as { id: number }).id;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}
