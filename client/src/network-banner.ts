import type { NetworkLinkInfo, NetworkResponse } from "../../protocol/network.js";
// The one formatter of the profile table (pure, no Node imports), so the banner's numbers read as the CLI's.
import { formatBitRate } from "../../scripts/net/profiles.js";
import { getJson } from "./api.js";
import { el } from "./format.js";

/** "3G", "LAN", "Cable", "Custom link": profile names as people write them. */
export function profileLabel(name: string): string {
  if (/^[0-9]g$/.test(name) || name === "lan") return name.toUpperCase();
  if (name === "custom") return "Custom link";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** "150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up". */
export function linkNumbers(link: NetworkLinkInfo): string {
  return `${link.rttMs} ms RTT, ${formatBitRate(link.downBitsPerSecond)} down, ${formatBitRate(link.upBitsPerSecond)} up`;
}

/**
 * The header line that says which network this page's own traffic crosses. Every request of the
 * page (fetches, EventSource, WebSocket) goes to the page's origin, so a page loaded from the link's
 * port is on the emulated line for all five transports; any other port is the direct path.
 */
export function setUpNetworkBanner(element: HTMLElement): void {
  element.classList.add("network");
  getJson<NetworkResponse>("/api/network").then(
    (answer) => render(element, answer.link),
    // An older server without the route: nothing to say, so the banner stays hidden.
    () => undefined,
  );
}

function render(element: HTMLElement, link: NetworkLinkInfo | null): void {
  const onLink = link !== null && location.port === String(link.port);
  element.dataset.onLink = String(onLink);
  if (link !== null && onLink) {
    element.replaceChildren(
      el("strong", `Network: ${profileLabel(link.profile)} — ${linkNumbers(link)}`),
      " ",
      `This page and all its connections cross the link emulator on port ${link.port}. `,
      raceLink("Open the Race"),
      ": polling waits for its next request, long polling makes a new one after each answer, while streaming, SSE and WebSocket keep one connection open.",
    );
  } else if (link !== null) {
    const url = `http://${location.hostname}:${link.port}/#race`;
    const anchor = el("a", url);
    anchor.href = url;
    element.replaceChildren(
      el("strong", "Network: direct"),
      " ",
      `(no emulation). The same lab through ${profileLabel(link.profile)}, ${linkNumbers(link)}: `,
      anchor,
    );
  } else {
    const command = el("code", "LAB_NETWORK_PROFILE=3g npm start");
    element.replaceChildren(
      el("strong", "Network: direct"),
      " ",
      "(no emulation). ",
      command,
      " also serves the lab through an emulated 3G line on a second port (3100, or LAB_NETWORK_PORT).",
    );
  }
  element.hidden = false;
}

function raceLink(text: string): HTMLAnchorElement {
  const anchor = el("a", text);
  anchor.href = "#race";
  return anchor;
}
