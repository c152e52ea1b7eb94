import { SUBSCRIBE_PATHS } from "../../protocol/endpoints.js";
import { HTTP_VERSIONS, TRANSPORTS, type StatsResponse } from "../../protocol/types.js";
import { CHAT_TRANSPORTS, type ChatTransport } from "./transports/kinds.js";

/** What one transport's requests went over, and who measured it. */
export interface Negotiated {
  /** "HTTP/1.1", "HTTP/2", "HTTP/1.1 (upgrade)", or "–" while nothing was measured yet. */
  label: string;
  /** "browser": Resource Timing's `nextHopProtocol`; "server": the server's count of this tab's requests by version. */
  source: "browser" | "server" | "protocol" | "none";
  detail: string;
}

/** `nextHopProtocol` as people write it; "" (unknown, or a request that never got a connection) stays unknown. */
export function protocolLabel(nextHopProtocol: string): string | undefined {
  switch (nextHopProtocol) {
    case "http/1.1":
    case "http/1.0":
      return "HTTP/1.1";
    case "h2":
      return "HTTP/2";
    case "h3":
      return "HTTP/3";
    default:
      return undefined;
  }
}

/** The protocol the page itself was loaded over (the navigation's `nextHopProtocol`), or "" when unknown. */
export function pageProtocol(): string {
  const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  return navigation?.nextHopProtocol ?? "";
}

/**
 * Whether STOMP over SockJS can work from this page. The server serves SockJS over HTTP/1.1 only
 * (over HTTP/2, /chat answers 426), and a page loaded over HTTP/2 sends its XHRs, /chat/info
 * included, over that same connection; so on the TLS port's HTTP/2 it cannot connect at all.
 */
export function sockjsReachable(): boolean {
  const protocol = pageProtocol();
  return protocol !== "h2" && protocol !== "h3";
}

/** Which transport a request URL belongs to, by its subscribe path; undefined for any other request. */
function transportOf(url: string): ChatTransport | undefined {
  let pathname: string;
  try {
    pathname = new URL(url, location.href).pathname;
  } catch {
    return undefined;
  }
  // Every SockJS request (info, xhr, xhr_streaming, xhr_send, eventsource) is under its base URL.
  if (pathname.startsWith("/chat/")) return "stomp-sockjs";
  return TRANSPORTS.find((transport) => SUBSCRIBE_PATHS[transport] === pathname);
}

/**
 * The HTTP version each transport's requests actually went over, as measured:
 * - by the browser: Resource Timing's `nextHopProtocol` of the transport's latest finished request
 *   (Chromium adds the entry when a response ends, so a poll or long poll has one after its first
 *   answer, and an SSE or NDJSON stream only once a connection of it has closed);
 * - else by the server: this tab's requests per version (`/api/stats?client=`, `versions`), which
 *   covers a stream that is still open;
 * - a WebSocket is always an HTTP/1.1 upgrade: the lab does not offer WebSockets over HTTP/2 (RFC 8441).
 */
export class NegotiatedVersions {
  private readonly browser = new Map<ChatTransport, string>();
  /** Whether the transport's latest finished response came with a content-coding (Resource Timing's sizes differ). */
  private readonly browserCoded = new Map<ChatTransport, boolean>();
  private compressionSetting: StatsResponse["compression"];
  private readonly server = new Map<ChatTransport, string>();
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly loadStats: () => Promise<StatsResponse>) {
    for (const entry of performance.getEntriesByType("resource")) this.record(entry as PerformanceResourceTiming);
    // An observer sees every entry even once the timeline's buffer (250 entries by default) is full.
    new PerformanceObserver((list) => {
      let changed = false;
      for (const entry of list.getEntries()) changed = this.record(entry as PerformanceResourceTiming) || changed;
      if (changed) this.notify();
    }).observe({ type: "resource" });
    // Polls would fill the buffer in minutes; nobody reads it but this module, which has what it needs.
    performance.addEventListener("resourcetimingbufferfull", () => performance.clearResourceTimings());
  }

  of(transport: ChatTransport): Negotiated {
    if (transport === "ws" || transport === "stomp-ws") {
      return {
        label: "HTTP/1.1 (upgrade)",
        source: "protocol",
        detail: "A WebSocket starts with an HTTP/1.1 Upgrade; WebSocket over HTTP/2 (RFC 8441) is not offered.",
      };
    }
    if (transport === "stomp-sockjs" && !sockjsReachable()) {
      return {
        label: "HTTP/1.1 only",
        source: "protocol",
        detail: "SockJS is served over HTTP/1.1 only, and this page came over HTTP/2: open the lab on its plain port for STOMP over SockJS.",
      };
    }
    const browser = this.browser.get(transport);
    if (browser !== undefined) return { label: browser, source: "browser", detail: "nextHopProtocol of its latest finished request (Resource Timing)" };
    const server = this.server.get(transport);
    if (server !== undefined) return { label: server, source: "server", detail: "this tab's requests by HTTP version, counted by the server" };
    return { label: "–", source: "none", detail: "not measured yet" };
  }

  /**
   * Whether the transport's responses reach this tab compressed: measured by the browser where it
   * can be (a finished response whose encoded body size differs from its decoded size was sent with
   * a content-coding), else what the server says it does for a client that asks, as every browser
   * does (Accept-Encoding with gzip and br; a permessage-deflate offer on every WebSocket).
   */
  compressionOf(transport: ChatTransport): { label: string; detail: string } {
    const coded = this.browserCoded.get(transport);
    if (coded !== undefined) {
      return {
        label: coded ? "compressed" : "not compressed",
        detail: "encoded and decoded body sizes of its latest finished response (Resource Timing)",
      };
    }
    const setting = this.compressionSetting;
    if (setting === undefined) return { label: "", detail: "" };
    if (transport === "ws") {
      return setting.wsDeflate === null
        ? { label: "not compressed", detail: "the server has permessage-deflate off (LAB_WS_DEFLATE)" }
        : { label: "compressed (permessage-deflate)", detail: "the server accepts the browser's permessage-deflate offer (LAB_WS_DEFLATE)" };
    }
    if (transport === "stomp-ws" || transport === "stomp-sockjs") return { label: "", detail: "" };
    return setting.http === "off"
      ? { label: "not compressed", detail: "the server compresses no HTTP answer (LAB_COMPRESS=off)" }
      : { label: `compressed (${setting.http})`, detail: `the server answers ${setting.http} to a browser's Accept-Encoding (LAB_COMPRESS)` };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ask the server how this tab's requests came in; calls during a refresh coalesce into one more. */
  refreshFromServer(): Promise<void> {
    if (this.refreshing !== undefined) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.loadStats()
      .then(
        (stats) => this.recordServer(stats),
        () => undefined,
      )
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          void this.refreshFromServer();
        }
      });
    return this.refreshing;
  }

  private recordServer(stats: StatsResponse): void {
    if (stats.compression !== undefined && JSON.stringify(stats.compression) !== JSON.stringify(this.compressionSetting)) {
      this.compressionSetting = stats.compression;
      this.notify();
    }
    const counts = stats.client?.transports;
    if (counts === undefined) return;
    let changed = false;
    for (const transport of CHAT_TRANSPORTS) {
      const versions = counts[transport].versions;
      const seen = HTTP_VERSIONS.filter((version) => versions[version] > 0).map((version) => `HTTP/${version}`);
      if (seen.length === 0) continue;
      const label = seen.join(" + ");
      if (this.server.get(transport) !== label) {
        this.server.set(transport, label);
        changed = true;
      }
    }
    if (changed) this.notify();
  }

  private record(entry: PerformanceResourceTiming): boolean {
    const transport = transportOf(entry.name);
    if (transport !== undefined && entry.decodedBodySize > 0) {
      const coded = entry.encodedBodySize !== entry.decodedBodySize;
      if (this.browserCoded.get(transport) !== coded) {
        this.browserCoded.set(transport, coded);
        this.notify();
      }
    }
    const label = protocolLabel(entry.nextHopProtocol);
    if (transport === undefined || label === undefined || this.browser.get(transport) === label) return false;
    this.browser.set(transport, label);
    return true;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A small label of one transport's negotiated version, kept current; the source goes in `title` and `data-source`. */
export function versionBadge(versions: NegotiatedVersions, transport: ChatTransport): HTMLElement {
  const badge = document.createElement("span");
  badge.className = "http-version";
  badge.dataset.httpVersion = transport;
  const show = (): void => {
    const negotiated = versions.of(transport);
    badge.textContent = negotiated.label;
    badge.dataset.source = negotiated.source;
    badge.title = `${negotiated.label}: ${negotiated.detail}`;
  };
  show();
  versions.onChange(show);
  return badge;
}
