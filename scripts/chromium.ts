import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium, headless, with the flags every browser run of the lab uses (the e2e suite, the
 * header capture, the real-session measure): no sandbox or GPU in a container, no background
 * traffic of its own on the wire being measured, and no QUIC, so that its requests go over TCP.
 * Playwright gives each launch a fresh temporary profile.
 */
export function launchChromium(executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--disable-quic",
    ],
  });
}
