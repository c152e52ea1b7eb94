import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../chromium.js";
import type { Transport } from "../../protocol/types.js";
import { epochNow } from "./measure/thread-load.js";
import { httpChannel } from "./publish-channel.js";
import { Publisher } from "./publisher.js";
import { defaultConfig, messageCount, serverEnvFor } from "./scenarios.js";
import { fetchStats, serverDelta } from "./server-stats.js";
import { startServer } from "./server-process.js";

/**
 * What a real Chromium session costs per message on polling and long polling, to set beside the
 * bench's browser-header clients: the dashboard's own chat view subscribed with the transport, the
 * bench's publisher at the chat scenario's rate and size, and the bytes the server's socket meter
 * counted for that transport over the window (both directions), over the messages it delivered.
 *
 *   npx tsx scripts/bench/chromium-session.ts [--out FILE]
 */

const LABELS: Partial<Record<Transport, string>> = { poll: "Polling", "long-poll": "Long polling" };

export interface SessionFigure {
  transport: Transport;
  delivered: number;
  bytes: { up: number; down: number };
  requests: number;
  bytesPerMessage: number;
}

export async function measureChromiumSession(
  transports: Transport[] = ["poll", "long-poll"],
  durationMs = 20_000,
): Promise<{ browser: string; figures: SessionFigure[] }> {
  const config = { ...defaultConfig("chat"), durationMs };
  const browser = await launchChromium();
  const figures: SessionFigure[] = [];
  try {
    for (const transport of transports) {
      const server = await startServer(serverEnvFor(config));
      const publisher = new Publisher(httpChannel(server.url), config);
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/#chat`);
        await page
          .getByRole("radiogroup", { name: "Transport" })
          .getByRole("radio", { name: LABELS[transport] ?? transport, exact: true })
          .check();
        await page.waitForFunction(() => document.querySelector("#chat-state")?.getAttribute("data-state") === "open", undefined, { timeout: 10_000 });
        // A warm-up as the bench's, so the window starts with the session in its steady state.
        await publisher.run("w", messageCount(config, config.warmupMs), epochNow() + 10);
        const before = await fetchStats(server.url);
        await publisher.run("m", messageCount(config, config.durationMs), epochNow() + 20);
        await new Promise((resolve) => setTimeout(resolve, config.pollIntervalMs + 500));
        const after = await fetchStats(server.url);
        const delta = serverDelta(after, before, transport);
        figures.push({
          transport,
          delivered: delta.delivered,
          bytes: delta.bytes,
          requests: delta.requests,
          bytesPerMessage: delta.delivered > 0 ? (delta.bytes.up + delta.bytes.down) / delta.delivered : 0,
        });
      } finally {
        await page.close();
        await publisher.close();
        await server.stop();
      }
    }
    return { browser: `Chromium ${browser.version()}`, figures };
  } finally {
    await browser.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf("--out");
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const session = await measureChromiumSession();
  const text = `${JSON.stringify({ measuredAt: new Date().toISOString(), ...session }, null, 2)}\n`;
  if (out !== undefined) writeFileSync(out, text);
  process.stdout.write(text);
}
