/** How many of the latest answers the label lists. */
const SHOWN = 6;

/**
 * Behind `npm run cluster`, which instance answered each of this tab's requests: every fetch's
 * `X-Lab-Instance` (CORS exposes it), newest first, with the path it answered. A single server sends
 * no such header and the label stays hidden. A browser shows a script no header of an EventSource
 * or WebSocket handshake, so a held SSE or WebSocket connection cannot be named here; the label
 * says so rather than guess.
 *
 * Returns the element it adds after `anchor`. It wraps `window.fetch` once, so every module's
 * requests are seen without any of them knowing.
 */
export function setUpInstanceLabel(anchor: HTMLElement): HTMLElement {
  const label = document.createElement("p");
  label.className = "network";
  label.setAttribute("role", "status");
  label.setAttribute("aria-label", "Instance that served each request");
  label.hidden = true;
  anchor.after(label);
  const latest: string[] = [];
  const fetchOriginal = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await fetchOriginal(input, init);
    const instance = response.headers.get("x-lab-instance");
    if (instance !== null) {
      const path = new URL(response.url, location.href).pathname;
      latest.unshift(`${instance} ← ${path}`);
      latest.length = Math.min(latest.length, SHOWN);
      label.textContent = `Served by (newest first): ${latest.join(" · ")}. SSE and WebSocket handshakes name their instance in X-Lab-Instance too, which only the browser's network tools show.`;
      label.hidden = false;
    }
    return response;
  };
  return label;
}
