import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseTransport, openDashboard, screenshot, sendChat, startLab, type Lab } from "./harness.js";

/** The chat says whether the connection it is on is compressed, from what the browser measured where it can. */
let compressed: Lab;
let plain: Lab;
beforeAll(async () => {
  compressed = await startLab({ config: { compress: "gzip", wsDeflate: true } });
  plain = await startLab();
});
afterAll(async () => {
  await compressed?.close();
  await plain?.close();
});

/** What the chat's label says once it says `expected` (polled), or the last thing it said. */
async function compressionShown(lab: Lab, transport: Parameters<typeof chooseTransport>[1], expected: string, width = 1280): Promise<string> {
  const { page, errors } = await openDashboard(lab, "chat", width);
  await chooseTransport(page, transport);
  await sendChat(page, `is ${transport} compressed? ${Math.random().toString(36).slice(2, 8)}`);
  const label = page.locator("#chat-http-version");
  let shown = "";
  await expect
    .poll(
      async () => {
        shown = (await label.getAttribute("data-compression")) ?? "";
        return shown;
      },
      { timeout: 10_000 },
    )
    .toBe(expected)
    .catch(() => undefined);
  await screenshot(page, `chat-compression-${transport.toLowerCase().replace(/ /g, "-")}-${width}`);
  expect(errors).toEqual([]);
  await page.context().close();
  return shown;
}

describe("compression in the chat", () => {
  it("shows polling as compressed when the server gzips and the browser measured it", async () => {
    // "compressed" alone is the browser's own measure (a poll answer's encoded and decoded sizes differ).
    expect(await compressionShown(compressed, "Polling", "compressed")).toBe("compressed");
    expect(await compressionShown(plain, "Polling", "not compressed")).toBe("not compressed");
  });

  it("shows WebSocket as compressed with permessage-deflate on, and not with it off", async () => {
    expect(await compressionShown(compressed, "WebSocket", "compressed (permessage-deflate)", 390)).toBe("compressed (permessage-deflate)");
    expect(await compressionShown(plain, "WebSocket", "not compressed")).toBe("not compressed");
  });
});
